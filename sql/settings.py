"""The one Settings object of phusong, read from the environment (prefix PHUSONG_) and an optional .env file."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from sql.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_PORT = 55432
EMBEDDED_DATABASE = "phusong"
EMBEDDED_USER = "postgres"
# The web app's database role with the least rights it needs (sql/migrations/0071_app_role_and_append_only_audit.sql).
APP_ROLE = "phusong_app"
# Session cookies are signed with HMAC; a key shorter than this is guessable offline from one cookie.
SECRET_KEY_MIN_BYTES = 32
SECRET_KEY_FILE = "secret_key"


OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class Settings(BaseSettings):
    """Runtime settings. Without ``database_url`` phusong uses its embedded cluster in ``pgdata_dir``."""

    model_config = SettingsConfigDict(env_prefix="PHUSONG_", env_file=".env", extra="ignore")

    database_url: str | None = None
    pgdata_dir: Path = PROJECT_ROOT / ".pgdata"
    embedded_port: int = EMBEDDED_PORT
    data_dir: Path = PROJECT_ROOT / "gis_data"
    shared_data: Path = PROJECT_ROOT.parent / "shared" / "data"
    out_dir: Path = PROJECT_ROOT / "out"
    tile_url: str | None = None
    # Base maps (issue 21): the OpenStreetMap tiles only when PHUSONG_ONLINE_BASEMAP allows it (closed networks keep
    # the vendored offline one); PHUSONG_BASEMAP_MBTILES: a raster MBTiles file phusong serves at /basemap/.
    online_basemap: bool = False
    basemap_mbtiles: Path | None = None
    # No default: `phusong serve` makes a random key once per install (``secret_key_of``); a given one wins.
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    # Who the embedded cluster is reached as: the owner (postgres) migrates, `phusong serve` switches to APP_ROLE.
    embedded_user: str = EMBEDDED_USER
    # The address people reach the app at (https://gis.example.vn); the cookie is Secure when it is https.
    public_url: str | None = None
    cookie_secure: bool | None = None  # None: Secure exactly when public_url is https
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (0: none).
    proxy_count: int = 0
    session_idle_s: int = 8 * 3600  # a session unused this long ends
    session_max_s: int = 24 * 3600  # and none lasts longer than this
    # Failed logins across every address within the window that write one alarm row into the audit log.
    login_alarm_failures: int = 100
    login_alarm_window_s: int = 15 * 60

    @property
    def online_tile_url(self) -> str | None:
        """The online base map's tile URL: PHUSONG_TILE_URL, else OpenStreetMap's when PHUSONG_ONLINE_BASEMAP."""
        return self.tile_url or (OSM_TILE_URL if self.online_basemap else None)

    @property
    def uses_embedded(self) -> bool:
        return not self.database_url

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return bool(self.public_url and self.public_url.lower().startswith("https://"))

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy, always naming the psycopg2 driver (SQLAlchemy 2.1 defaults to psycopg 3)."""
        if self.database_url:
            return to_psycopg2_url(self.database_url)
        return (
            f"postgresql+psycopg2://{self.embedded_user}@127.0.0.1:{self.embedded_port}/{EMBEDDED_DATABASE}"
        )


def secret_key_of(settings: Settings) -> str:
    """The key that signs the session cookie: PHUSONG_SECRET_KEY when given, else this install's own.

    This install's key is made at random on first use and kept in ``out_dir/secret_key`` (mode 0600), so it
    survives restarts and is shared by every process of the install. Raise ``SettingsError`` for a short key.
    """
    if settings.secret_key is not None:
        if len(settings.secret_key.encode()) < SECRET_KEY_MIN_BYTES:
            raise SettingsError(f"PHUSONG_SECRET_KEY is too short: it needs at least {SECRET_KEY_MIN_BYTES} bytes "
                                "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))').")
        return settings.secret_key
    path = settings.out_dir / SECRET_KEY_FILE
    if not path.exists():
        _write_new_key(path)
    key = path.read_text(encoding="utf-8").strip()
    if len(key.encode()) < SECRET_KEY_MIN_BYTES:
        raise SettingsError(f"{path} holds a key shorter than {SECRET_KEY_MIN_BYTES} bytes: delete it and start again.")
    return key


def _write_new_key(path: Path) -> None:
    """Write a random key to ``path`` (0600) unless another process just did: written aside, then linked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(aside, path)  # atomic, and refuses to replace a key another process wrote meanwhile
    except FileExistsError:
        pass
    finally:
        aside.unlink()


def to_psycopg2_url(url: str) -> str:
    """Rewrite a plain libpq URL (``postgresql://`` or ``postgres://``) to name the psycopg2 driver."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached)."""
    return Settings()
