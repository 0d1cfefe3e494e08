"""The PostgreSQL worker's libpq connection string, derived from the asyncpg URL."""

from __future__ import annotations

from typing import Any

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

from bocage.core.jobs.procrastinate_backend import conninfo
from bocage.core.settings import load_settings


def _libpq(url: str) -> dict[str, Any]:
    return conninfo_to_dict(conninfo(load_settings(database_url=url)))


def test_a_password_with_spaces_and_url_characters_reaches_libpq_intact() -> None:
    password = "two words @:/%+é#?&='\"\\"
    url = URL.create(
        "postgresql+asyncpg",
        username="bocage",
        password=password,
        host="db.example.be",
        port=6432,
        database="gal",
    ).render_as_string(hide_password=False)
    assert _libpq(url) == {
        "host": "db.example.be",
        "port": "6432",
        "user": "bocage",
        "password": password,
        "dbname": "gal",
    }


def test_asyncpg_ssl_becomes_libpq_sslmode() -> None:
    base = "postgresql+asyncpg://bocage@db.example.be/gal"
    assert _libpq(f"{base}?ssl=require")["sslmode"] == "require"
    assert _libpq(f"{base}?ssl=verify-full&sslrootcert=/etc/ca.pem") == {
        "host": "db.example.be",
        "user": "bocage",
        "dbname": "gal",
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ca.pem",
    }
    assert _libpq(f"{base}?ssl=true")["sslmode"] == "require"
    assert "ssl" not in _libpq(f"{base}?ssl=disable")
    # asyncpg-only options are not handed to libpq (it would refuse them)
    assert _libpq(f"{base}?prepared_statement_cache_size=0&timeout=5") == {
        "host": "db.example.be",
        "user": "bocage",
        "dbname": "gal",
        "connect_timeout": "5",
    }


def test_a_unix_socket_host_passes_through() -> None:
    assert _libpq("postgresql+asyncpg://postgres@/gal?host=/run/postgresql") == {
        "host": "/run/postgresql",
        "user": "postgres",
        "dbname": "gal",
    }
