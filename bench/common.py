"""What the benchmark scripts share: a PostgreSQL database of their own on this machine,
Django set up against it, and the CPU and memory figures they read from ``/proc``.

A script run as ``python bench/<name>.py`` has ``bench/`` first on its path, not the
repository: it puts ``ROOT`` there before importing this module.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789abcdef"


def local_database_url(variable: str, default: str) -> str:
    """The database URL in *variable* (else *default*), refused unless on this machine and
    plainly named: the scripts drop and create the database they are given."""
    database_url = os.environ.get(variable, default)
    if urlparse(database_url).hostname not in (HOST, "localhost"):
        raise SystemExit("The benchmark only talks to a database on 127.0.0.1.")
    name = database_name(database_url)
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    return database_url


def database_name(database_url: str) -> str:
    return urlparse(database_url).path.lstrip("/")


def admin_sql(database_url: str, sql: str, *, fetch: bool = False):
    """Run *sql* on the server's maintenance database (CREATE and DROP DATABASE); a ``%s`` in
    it is the database's name."""
    import psycopg2  # noqa: PLC0415 (only when a script runs)

    url = urlparse(database_url)
    conn = psycopg2.connect(
        host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
        password=url.password, dbname="postgres",
    )  # fmt: skip
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, [database_name(database_url)] if "%s" in sql else [])
            return cursor.fetchall() if fetch else None
    finally:
        conn.close()


def recreate_database(database_url: str) -> None:
    name = database_name(database_url)
    admin_sql(database_url, f'DROP DATABASE IF EXISTS "{name}"')
    admin_sql(database_url, f'CREATE DATABASE "{name}"')


def django_setup(database_url: str) -> None:
    """Django with the bench settings, against *database_url*, DEBUG off."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        LOG_LEVEL="WARNING",
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django  # noqa: PLC0415

    django.setup()


def peak_rss_mib() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process *pid* so far, from ``/proc`` (same machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int:
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_cpu() -> float:
    """CPU seconds of this process's PostgreSQL backend so far."""
    return process_cpu(backend_pid())
