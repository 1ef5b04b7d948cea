"""Personal access tokens for GIS clients: made once and shown once, stored hashed, listed, revoked, checked on
every request to /ogcapi and /tiles, and each use audited.

A token stands for its user as the user is now: the role, scope and active flag are read from app_user on each
request, so a disabled user's tokens stop working at once. So do the tokens of a user whose password an
administrator reset ("đổi mật khẩu ở lần đăng nhập sau"): while must_change_password is set every page and
callback is 403 for them, and their tokens are refused (401) until they set their own password (``refused_token``
says why and audits it as a refusal). Each use is written to audit_log at most once per
token, collection and minute (``audit_use``): QGIS fetching two hundred tiles of one layer in a minute leaves one
row saying who read which collection when, not two hundred.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from app.auth import User, UserError, audit_event, when_access_changes
from app.live_gis.cache import TtlCache
from sql import queries
from sql.bulk import set_actor
from sql.engine import connect

# "psg_" marks a phusong token in a config file or a leaked log; 32 random bytes (256 bits) follow.
TOKEN_MARK = "psg_"
SHOWN_PREFIX_CHARS = 10  # how much of a token a list shows, to tell tokens apart
_EXPIRY = re.compile(r"^\s*(\d{1,5})\s*([dhw]?)\s*$")
_EXPIRY_UNITS = {"": "days", "d": "days", "h": "hours", "w": "weeks"}


class TokenError(UserError):
    """A token could not be made or revoked (unknown user, bad expiry, no such token)."""


@dataclass(frozen=True)
class TokenHolder:
    """The user a token stands for on this request, and which token it was."""

    user: User
    token_id: int
    token_name: str


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token: what api_token keeps (migration 0110 says why a fast hash is right here)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_expiry(text: str | None) -> timedelta | None:
    """'90d' / '90' -> 90 days, '12h', '4w'; None or '' or 'never' -> no expiry; anything else is a TokenError."""
    if text is None or text.strip().lower() in ("", "never", "0"):
        return None
    match = _EXPIRY.match(text)
    if not match or int(match.group(1)) == 0:
        raise TokenError(f"--expires {text!r}: expected a number of days like 90d (or 12h, 4w, never)")
    return timedelta(**{_EXPIRY_UNITS[match.group(2)]: int(match.group(1))})


def create_token(conn: Connection, user_name: str, *, name: str = "", expires_in: timedelta | None = None,
                 actor: str = "cli") -> tuple[str, dict[str, Any]]:
    """Make a token for ``user_name``; return the token (shown once, never stored) and its stored row."""
    name = (name or "").strip()
    if len(name) > 80:
        raise TokenError(f"token name {name[:20]!r}…: at most 80 characters")
    token = TOKEN_MARK + secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + expires_in if expires_in else None
    set_actor(conn, actor)
    row = conn.execute(queries.load("inserted_api_token"), {
        "user_name": user_name, "name": name, "password_hash": hash_token(token),
        "prefix": token[:SHOWN_PREFIX_CHARS], "expires_at": expires_at}).mappings().first()
    if row is None:
        raise TokenError(f"no user named {user_name!r}")
    return token, dict(row)


def list_tokens(conn: Connection, user_name: str | None = None) -> list[dict[str, Any]]:
    """The tokens of ``user_name`` (everyone's when None), newest first, with their last use; never a hash."""
    return [dict(r) for r in conn.execute(queries.load("api_tokens_of_user"), {"user_name": user_name}).mappings()]


def revoke_token(conn: Connection, token_id: int, *, user_name: str | None = None,
                 actor: str = "cli") -> dict[str, Any]:
    """Revoke a live token (only ``user_name``'s when given); a TokenError when there is no such live token."""
    set_actor(conn, actor)
    row = conn.execute(queries.load("revoked_api_token"), {"id": token_id, "user_name": user_name}).mappings().first()
    if row is None:
        raise TokenError(f"no live token with id {token_id}" + (f" of {user_name}" if user_name else ""))
    forget_checked_tokens()  # this process stops honouring it now; other processes within TOKEN_CHECK_TTL_S
    return dict(row)


def token_holder(conn: Connection, token: str) -> TokenHolder | None:
    """The live token's active user as stored now, or None (unknown, revoked, expired, or user disabled); a user
    who must change a temporary password first is returned with ``must_change_password`` set (refused by
    ``authenticate_header``)."""
    if not token.startswith(TOKEN_MARK):
        return None
    row = conn.execute(queries.load("api_token_holder"), {"password_hash": hash_token(token)}).mappings().first()
    if row is None:
        return None
    user = User(row["name"], row["role"], tuple(row["scope_codes"]), bool(row["must_change_password"]))
    return TokenHolder(user, row["token_id"], row["token_name"])


def token_from_authorization(header: str | None) -> tuple[str | None, str] | None:
    """(user name or None, token) from an Authorization header: Basic (QGIS's authentication manager, GDAL's
    GDAL_HTTP_USERPWD) carries the user name and the token as the password; Bearer carries the token alone."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, sep, password = decoded.partition(":")
        return (name, password) if sep else None
    return None


# A GIS client sends its token with every tile: the check is kept this long per process, so QGIS drawing a map
# (a hundred tiles a second) costs one database round trip a second, and a revoked token or a disabled user
# stops working in every process within this time.
TOKEN_CHECK_TTL_S = 1.0
_CHECKED: TtlCache[TokenHolder | None] = TtlCache(ttl_s=TOKEN_CHECK_TTL_S, max_bytes=2_000_000)


def forget_checked_tokens() -> None:
    """Drop this process's cached token checks (after a revocation, or a user changed here: disabled, password
    reset or changed; app/auth.py calls it after every change of a user)."""
    _CHECKED.clear()


when_access_changes(forget_checked_tokens)


def authenticate_header(header: str | None) -> TokenHolder | None:
    """The holder of the token in this Authorization header, or None; with Basic the user name must match. A
    user who must change a temporary password first is refused (None) like a revoked token."""
    holder = _checked_holder(header)
    if holder is None or holder.user.must_change_password:
        return None
    return holder


def refused_token(header: str | None, *, path: str, method: str, address: str | None) -> str:
    """Why the token in this header was refused, in one sentence for the client; when it is a live token whose
    user must change a temporary password first, the refusal is audited (``refused``, as the app's gate writes
    it), at most once per token, service (ogcapi, tiles) and minute: a client drawing a map asks for a hundred
    tiles a second."""
    holder = _checked_holder(header)
    if holder is None or not holder.user.must_change_password:
        return "the token is unknown, revoked or expired, or its user is disabled"
    said = ("Cần đổi mật khẩu tạm (đăng nhập vào trang web) trước khi dùng lại mã truy cập / the token's user must "
            "change the temporary password an administrator set (log in to the web app) before it works again")
    if _first_this_minute((holder.token_id, "refused", path.lstrip("/").split("/", 1)[0])):
        with connect() as conn:
            audit_event(conn, holder.user.name, "refused", "request", path[:300], address, {
                "status": 401, "method": method, "detail": "password change first", "token_id": holder.token_id})
    return said


def _checked_holder(header: str | None) -> TokenHolder | None:
    """The holder of the token in this header as last checked (within TOKEN_CHECK_TTL_S), must-change or not."""
    parsed = token_from_authorization(header)
    if parsed is None:
        return None
    name, token = parsed
    holder = _CHECKED.get_or_make(hash_token(token), lambda: _holder_now(token), lambda _: 400)
    if holder is None or (name is not None and name != holder.user.name):
        return None
    return holder


def _holder_now(token: str) -> TokenHolder | None:
    with connect() as conn:
        return token_holder(conn, token)


# (token id, service, collection) -> the minute last written by this process (with several web processes, each
# writes its own row in a minute it served the token: at most one per process, token, collection and minute);
# a refusal's key is (token id, "refused", service)
_WRITTEN: dict[tuple[int, str, str], int] = {}
_WRITTEN_LOCK = threading.Lock()


def _first_this_minute(key: tuple[int, str, str]) -> bool:
    """True once per ``key`` and minute in this process (the audit rows of a token's uses and refusals)."""
    minute = int(time.time() // 60)
    with _WRITTEN_LOCK:
        if _WRITTEN.get(key) == minute:
            return False
        _WRITTEN[key] = minute
    return True


def audit_use(holder: TokenHolder, *, service: str, collection: str) -> None:
    """Audit that ``holder`` read ``collection`` through ``service`` ('ogcapi' or 'tiles'): one audit_log row per
    token, service, collection and minute (the rest of that minute's requests write nothing)."""
    if not _first_this_minute((holder.token_id, service, collection)):
        return
    with connect() as conn:
        conn.execute(queries.load("inserted_token_use"), {
            "user_name": holder.user.name, "token_id": holder.token_id, "token_name": holder.token_name,
            "service": service, "collection": collection})
