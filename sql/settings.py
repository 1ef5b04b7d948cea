"""The one Settings object of phusong, read from the environment (prefix PHUSONG_) and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_PORT = 55432
EMBEDDED_DATABASE = "phusong"
EMBEDDED_USER = "postgres"


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
    secret_key: str = "phusong-dev-secret-change-me"
    host: str = "127.0.0.1"
    port: int = 8050

    @property
    def uses_embedded(self) -> bool:
        return not self.database_url

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy, always naming the psycopg2 driver (SQLAlchemy 2.1 defaults to psycopg 3)."""
        if self.database_url:
            return to_psycopg2_url(self.database_url)
        return (
            f"postgresql+psycopg2://{EMBEDDED_USER}@127.0.0.1:{self.embedded_port}/{EMBEDDED_DATABASE}"
        )


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
