"""The PostgreSQL databases the benchmarks run in."""

from __future__ import annotations

import os


def recreate_database(url: str) -> None:
    """Drop the database at `url` (whoever is still connected) and create it empty."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def use_postgres(default_name: str) -> str:
    """Point Django at BENCH_DATABASE_URL (default: `default_name` on the local server), creating the
    database if it is missing and switching the connection when another benchmark set Django up
    first. Returns the URL."""
    import dj_database_url
    import django
    import psycopg
    from psycopg import sql

    url = os.environ.get("BENCH_DATABASE_URL") or f"postgres://postgres@127.0.0.1:5432/{default_name}"
    parsed = dj_database_url.parse(url)
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parsed["NAME"]]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed["NAME"])))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samverkan.settings")
    os.environ["DJANGO_DEBUG"] = "1"
    django.setup()
    from django.db import connection

    if connection.settings_dict["NAME"] != parsed["NAME"]:
        connection.close()
        connection.settings_dict.update(
            {key: parsed[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")}
        )
    return url
