"""`phusong users add|set|reset-password|list|sessions`: the web app's users, their roles, scopes and sessions."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import Any

from app.auth import (
    ROLES,
    UserError,
    add_user,
    end_sessions,
    find_user,
    list_users,
    parse_scope,
    reset_password,
    update_user,
)
from app.commands.db import ensure_database
from app.i18n import fmt_date
from app.sessions import list_sessions
from sql.engine import connect


def register(commands: Any) -> None:
    users = commands.add_parser(
        "users", help="add, change and list the web app's users",
        description="Users log in to the web app with a role (planner, inspector, budget, admin) and a scope: "
                    "province or commune codes (empty = whole country, except for inspectors).",
        epilog="Example:\n  phusong users add lan --role inspector --scope 11001,11004\n  phusong users list",
    )
    actions = users.add_subparsers(dest="users_command", metavar="ACTION")
    actions.required = True
    add = actions.add_parser(
        "add", help="add a user (the password is asked for, or read from PHUSONG_NEW_PASSWORD)",
        description="Add a user. The password is asked for twice unless PHUSONG_NEW_PASSWORD is set.",
        epilog="Example:\n  phusong users add minh --role planner --scope 11\n"
               "  PHUSONG_NEW_PASSWORD=... phusong users add admin --role admin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--scope", default="", help="comma-separated province or commune codes")
    add.set_defaults(handler=_add)
    change = actions.add_parser(
        "set", help="change a user's role, scope or password, or (de)activate them",
        description="Change a user. A new password, role or scope, or --deactivate, ends the user's sessions. "
                    "Nobody can lock out the last active administrator.",
        epilog="Example:\n  phusong users set lan --scope 11001 --deactivate\n  phusong users set minh --password")
    change.add_argument("name")
    change.add_argument("--role", choices=ROLES)
    change.add_argument("--scope", help="comma-separated codes ('' = whole country)")
    change.add_argument("--password", action="store_true", help="set a new password (asked for)")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--activate", "--enable", action="store_true")
    state.add_argument("--deactivate", "--disable", action="store_true",
                       help="the user can no longer log in; their sessions end at once")
    change.set_defaults(handler=_set)
    reset = actions.add_parser(
        "reset-password", help="đặt lại mật khẩu: a temporary password, changed at the next login",
        description="Đặt lại mật khẩu (reset the password), as Quản trị → Người dùng does: prints a temporary "
                    "password once (12 letters, stored only as a hash), ends the user's sessions; the user must "
                    "change it at the next login (đổi mật khẩu ở lần đăng nhập sau) and their access tokens are "
                    "refused until then. Audited.",
        epilog="Example:\n  phusong users reset-password --user lan")
    reset.add_argument("--user", required=True, metavar="NAME",
                       help="tên đăng nhập / user name (compared without case)")
    reset.set_defaults(handler=_reset_password)
    listing = actions.add_parser("list", help="list the users with role, scope and failed logins",
                                 epilog="Example:\n  phusong users list")
    listing.set_defaults(handler=_list)
    sessions = actions.add_parser(
        "sessions", help="list a user's logged-in sessions, or end them all with --end",
        description="List the live web sessions of a user (when, from where, which browser); --end logs them "
                    "out everywhere at once.",
        epilog="Example:\n  phusong users sessions lan\n  phusong users sessions lan --end")
    sessions.add_argument("name")
    sessions.add_argument("--end", action="store_true", help="end every session of the user now")
    sessions.set_defaults(handler=_sessions)


def _password() -> str:
    given = os.environ.get("PHUSONG_NEW_PASSWORD")
    if given:
        return given
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise UserError("the two passwords differ")
    return first


def _add(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        user = add_user(conn, args.name, _password(), role=args.role, scope_codes=parse_scope(args.scope))
    print(f"user {user.name} added: {user.role}, scope {','.join(user.scope_codes) or 'whole country'}")
    return 0


def _set(args: argparse.Namespace) -> int:
    ensure_database()
    active = True if args.activate else (False if args.deactivate else None)
    with connect() as conn:
        name = update_user(conn, args.name, role=args.role,
                           scope_codes=None if args.scope is None else parse_scope(args.scope),
                           password=_password() if args.password else None, active=active)
    print(f"user {name} changed")
    return 0


def _reset_password(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        name = find_user(conn, args.user)["name"]
        temporary = reset_password(conn, name, actor="cli")
    print(f"temporary password of {name} (mật khẩu tạm), shown only now:")
    print(temporary)
    print("Hand it over in person; it must be changed at the next login (đổi ở lần đăng nhập sau).")
    return 0


def _list(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        users = list_users(conn)
    print(f"{'name':<16} {'role':<10} {'active':<6} {'failed':>6}  scope")
    for u in users:
        print(f"{u['name']:<16} {u['role']:<10} {'yes' if u['active'] else 'no':<6} {u['failed_logins']:>6}  "
              f"{','.join(u['scope_codes']) or 'whole country'}")
    return 0


def _sessions(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        name = find_user(conn, args.name)["name"]
        if args.end:
            ended = end_sessions(conn, name, actor="cli", reason="phusong users sessions --end")
            print(f"{name}: {ended} session(s) ended")
            return 0
        found = list_sessions(conn, name)
    print(f"{name}: {len(found)} live session(s)")
    for s in found:
        print(f"  {s['ref']}  since {fmt_date(s['created_at'])}  last seen {fmt_date(s['last_seen_at'])}  "
              f"ends {fmt_date(s['expires_at'])}  {s['ip'] or '?'}  {s['user_agent'] or ''}")
    return 0
