"""Small database chores for scripts/dev.sh and the tests: create a database with PostGIS, drop it.

Run as `python -m app.dbadmin ensure URL` or `python -m app.dbadmin secret FILE`.
"""

import secrets
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import normalise_database_url


def _server_engine(url: str):
    # Administrative statements run from the maintenance database, outside a transaction.
    server = make_url(normalise_database_url(url)).set(database="postgres")
    return create_engine(server, isolation_level="AUTOCOMMIT")


def ensure_database(url: str) -> bool:
    """Create the database of `url` with the PostGIS extension if it does not exist; return True if created."""
    url_obj = make_url(normalise_database_url(url))
    engine = _server_engine(url)
    created = False
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url_obj.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url_obj.database}"'))
            created = True
    engine.dispose()
    db_engine = create_engine(url_obj, isolation_level="AUTOCOMMIT")
    with db_engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    db_engine.dispose()
    return created


def drop_database(url: str) -> None:
    url_obj = make_url(normalise_database_url(url))
    engine = _server_engine(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url_obj.database}" WITH (FORCE)'))
    engine.dispose()


def read_or_create_secret(path: str) -> str:
    """Return the secret key kept in `path`, creating it (readable by its owner only) on first use."""
    file = Path(path)
    if file.exists():
        return file.read_text().strip()
    value = secrets.token_urlsafe(48)
    file.touch(mode=0o600)
    file.write_text(value + "\n")
    return value


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("ensure", "secret"):
        print("usage: python -m app.dbadmin ensure DATABASE_URL | secret FILE", file=sys.stderr)
        return 2
    if argv[0] == "ensure":
        if ensure_database(argv[1]):
            print(f"created database {make_url(normalise_database_url(argv[1])).database}", file=sys.stderr)
    else:
        print(read_or_create_secret(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
