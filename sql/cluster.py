"""The embedded PostgreSQL + PostGIS cluster in .pgdata/ (loopback only), and dump/restore of any database.

initdb refuses to run as root, so when phusong runs as root the cluster belongs to the ``postgres`` OS user
that Debian's PostgreSQL package creates, and its commands run through ``runuser``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql as pgsql

from sql.errors import DatabaseSetupError
from sql.settings import EMBEDDED_DATABASE, EMBEDDED_USER

PG_MAJOR = 15
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
POSTGIS_CONTROL = Path(f"/usr/share/postgresql/{PG_MAJOR}/extension/postgis.control")
POSTGIS_PACKAGE = f"postgresql-{PG_MAJOR}-postgis-3"
OS_USER = "postgres"
# Every statement's calls and time (issue 22: PostgreSQL was ~40 % of the server's CPU under the mixed load, never
# profiled): preloaded when PostgreSQL's contrib has it (Debian's server package does); the extension's view is
# made by migration 0290 where the migrating role may, and skipped elsewhere (a managed server decides itself).
STATEMENT_STATS = "pg_stat_statements"


@dataclass(frozen=True)
class ClusterStatus:
    pgdata: Path
    initialised: bool
    running: bool
    port: int

    def describe(self) -> str:
        if not self.initialised:
            return f"no embedded cluster in {self.pgdata} (run `phusong db up`)"
        state = "running" if self.running else "stopped"
        return f"embedded cluster in {self.pgdata}: {state} on 127.0.0.1:{self.port}"


def ensure_postgis_package() -> None:
    """Install PostGIS with apt when it is missing and we are root; otherwise say what to install."""
    if POSTGIS_CONTROL.exists():
        return
    if os.geteuid() != 0:
        raise DatabaseSetupError(
            f"PostGIS is not installed: run `sudo apt-get install -y {POSTGIS_PACKAGE}` and try again."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", "install", "-y", "-qq", POSTGIS_PACKAGE], env=env, capture_output=True)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", POSTGIS_PACKAGE], env=env, capture_output=True)
    if done.returncode != 0 or not POSTGIS_CONTROL.exists():
        raise DatabaseSetupError(f"Could not install {POSTGIS_PACKAGE} with apt-get: install it by hand.")


def status(pgdata: Path, port: int) -> ClusterStatus:
    """Report whether the embedded cluster exists and runs."""
    initialised = (pgdata / "PG_VERSION").is_file()
    running = initialised and _pg_ctl(pgdata, ["status"], check=False).returncode == 0
    return ClusterStatus(pgdata=pgdata, initialised=initialised, running=running, port=port)


def up(pgdata: Path, port: int, database: str = EMBEDDED_DATABASE) -> ClusterStatus:
    """Create (once) and start the embedded cluster on 127.0.0.1:``port`` and make sure ``database`` exists."""
    _require_binaries()
    ensure_postgis_package()
    if not (pgdata / "PG_VERSION").is_file():
        _initdb(pgdata, port)
    if not status(pgdata, port).running:
        # The port given now wins over the one written at initdb time, so PHUSONG_EMBEDDED_PORT always holds.
        options = f"-p {port}" + (f" -c shared_preload_libraries={STATEMENT_STATS}" if _has_statement_stats() else "")
        started = _pg_ctl(pgdata, ["-w", "-t", "60", "-o", options, "-l", str(pgdata / "server.log"), "start"],
                          check=False)
        if started.returncode != 0:
            raise DatabaseSetupError(
                f"The embedded PostgreSQL did not start (is port {port} taken?); see {pgdata / 'server.log'}."
            )
    try:
        create_database(port, database)
    except psycopg2.OperationalError as exc:
        raise DatabaseSetupError(
            f"The embedded PostgreSQL in {pgdata} runs but does not answer on 127.0.0.1:{port} (started on "
            "another port?): run `phusong db down` and then `phusong db up`."
        ) from exc
    return status(pgdata, port)


def down(pgdata: Path, port: int) -> ClusterStatus:
    """Stop the embedded cluster if it runs."""
    if status(pgdata, port).running:
        _pg_ctl(pgdata, ["-w", "-m", "fast", "stop"], check=True)
    return status(pgdata, port)


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway(prefix: str = "phusong-pg-") -> Iterator[int]:
    """Start a private cluster in a new temporary directory on a free port; stop and delete it afterwards.

    For the test suite and the benchmarks. The directory is made world-traversable because the cluster runs as
    the postgres OS user when we are root (a mkdtemp directory is private to its creator).
    """
    parent = Path(tempfile.mkdtemp(prefix=prefix))
    parent.chmod(0o755)
    pgdata, port = parent / "pgdata", free_loopback_port()
    up(pgdata, port, database="postgres")
    try:
        yield port
    finally:
        down(pgdata, port)
        shutil.rmtree(parent, ignore_errors=True)


def create_database(port: int, database: str) -> None:
    """Create ``database`` on the embedded server if it does not exist."""
    conn = psycopg2.connect(host="127.0.0.1", port=port, user=EMBEDDED_USER, dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cur.fetchone() is None:
                cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(database)))
    finally:
        conn.close()


def dump(libpq_url: str, out_file: Path) -> None:
    """Write the whole database to ``out_file`` in pg_dump's custom format."""
    _run([str(PG_BIN / "pg_dump"), "--format=custom", "--no-owner", f"--file={out_file}", libpq_url])


def restore(libpq_url: str, dump_file: Path) -> None:
    """Restore a custom-format dump into the database at ``libpq_url`` (an empty one, or replaced objects)."""
    if not dump_file.is_file():
        raise DatabaseSetupError(f"{dump_file}: no such dump file.")
    _run([str(PG_BIN / "pg_restore"), "--no-owner", "--clean", "--if-exists", "--exit-on-error",
          f"--dbname={libpq_url}", str(dump_file)])


def _initdb(pgdata: Path, port: int) -> None:
    pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(pgdata, user=OS_USER, group=OS_USER)
    pgdata.chmod(0o700)
    _as_cluster_owner([str(PG_BIN / "initdb"), "-D", str(pgdata), "-U", EMBEDDED_USER, "--auth=trust",
                       "-E", "UTF8", "--locale=C.UTF-8"])
    # Loopback only, socket inside the data directory: a private server that no other machine can reach.
    settings = (
        "\n# phusong embedded cluster\n"
        "listen_addresses = '127.0.0.1'\n"
        f"port = {port}\n"
        f"unix_socket_directories = '{pgdata}'\n"
        "fsync = on\n"
        "shared_buffers = 256MB\n"
        "work_mem = 64MB\n"
        "maintenance_work_mem = 256MB\n"
        "max_wal_size = 2GB\n"
    )
    conf = pgdata / "postgresql.conf"
    conf.write_text(conf.read_text() + settings)


def _pg_ctl(pgdata: Path, args: Sequence[str], *, check: bool) -> subprocess.CompletedProcess[bytes]:
    return _as_cluster_owner([str(PG_BIN / "pg_ctl"), "-D", str(pgdata), *args], check=check)


def _as_cluster_owner(cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    program = Path(cmd[0]).name
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", OS_USER, "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, cwd="/")
    if check and done.returncode != 0:
        output = done.stderr.decode(errors="replace").strip() or done.stdout.decode(errors="replace").strip()
        raise DatabaseSetupError(f"{program} failed: {output}")
    return done


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise DatabaseSetupError(f"{Path(cmd[0]).name} failed: {message[-1] if message else done.returncode}")


def _has_statement_stats() -> bool:
    return (PG_BIN.parent / "lib" / f"{STATEMENT_STATS}.so").is_file()


def _require_binaries() -> None:
    if not (PG_BIN / "initdb").exists():
        raise DatabaseSetupError(
            f"PostgreSQL {PG_MAJOR} is not installed: run `apt-get install -y postgresql-{PG_MAJOR} {POSTGIS_PACKAGE}`."
        )
