"""`phusong tokens add|list|revoke`: personal access tokens for QGIS, GDAL and other GIS clients."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from app.commands.db import ensure_database
from app.live_gis.tokens import create_token, list_tokens, parse_expiry, revoke_token
from sql.engine import connect


def register(commands: Any) -> None:
    tokens = commands.add_parser(
        "tokens", help="personal access tokens for QGIS/GDAL (OGC API – Features at /ogcapi, tiles at /tiles)",
        description="A token lets a GIS client read /ogcapi and /tiles as its user, within the user's role and "
                    "scope: HTTP Basic with the user name and the token as password, or Authorization: Bearer.",
        epilog='Example:\n  phusong tokens add --user lan --expires 90d --name "QGIS máy bàn"\n'
               "  phusong tokens list --user lan\n  phusong tokens revoke 3")
    actions = tokens.add_subparsers(dest="tokens_command", metavar="ACTION")
    actions.required = True
    add = actions.add_parser("add", help="make a token and print it once (only its hash is kept)",
                             epilog='Example:\n  phusong tokens add --user lan --expires 90d --name "QGIS máy bàn"')
    add.add_argument("--user", required=True, help="the user the token stands for")
    add.add_argument("--expires", default=None, help="lifetime: 90d (days), 12h, 4w; default: until revoked")
    add.add_argument("--name", default="", help="what the token is for, shown in lists")
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", help="list tokens (never the tokens themselves)",
                                 epilog="Example:\n  phusong tokens list\n  phusong tokens list --user lan")
    listing.add_argument("--user", default=None, help="only this user's tokens")
    listing.set_defaults(handler=_list)
    revoke = actions.add_parser("revoke", help="revoke a token by its id (from `tokens list`)",
                                epilog="Example:\n  phusong tokens revoke 3")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=_revoke)


def _add(args: argparse.Namespace) -> int:
    ensure_database()
    expires_in = parse_expiry(args.expires)
    with connect() as conn:
        token, row = create_token(conn, args.user, name=args.name, expires_in=expires_in)
    until = row["expires_at"].strftime("%Y-%m-%d %H:%M UTC") if row["expires_at"] else "until revoked"
    print(f"token {row['id']} for {row['user_name']} ({row['name'] or 'no name'}), valid {until}:")
    print(token)
    print("It is shown only now. In QGIS: user name + this token as the password (Basic authentication).")
    return 0


def _list(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        found = list_tokens(conn, args.user)
    now = datetime.now(UTC)
    print(f"{'id':>5}  {'user':<14} {'name':<22} {'prefix':<12} {'state':<8} {'expires':<16} last used")
    for r in found:
        expired = r["expires_at"] is not None and r["expires_at"] <= now
        state = "revoked" if r["revoked_at"] else ("expired" if expired else "live")
        expires = r["expires_at"].strftime("%Y-%m-%d %H:%M") if r["expires_at"] else "never"
        used = r["last_used_at"].strftime("%Y-%m-%d %H:%M") if r["last_used_at"] else "never"
        print(f"{r['id']:>5}  {r['user_name']:<14} {r['name'][:22]:<22} {r['prefix'] + '…':<12} {state:<8} "
              f"{expires:<16} {used}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    ensure_database()
    with connect() as conn:
        row = revoke_token(conn, args.id)
    print(f"token {row['id']} of {row['user_name']} ({row['name'] or 'no name'}) revoked")
    return 0
