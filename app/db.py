"""The database handle of one Flask app: an engine, a session factory and a session per request.

It also decides which database failures a request may simply run again: a deadlock or a serialization
failure rolled the whole transaction back, so running the view once more is safe and usually succeeds.
"""

import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache

import psycopg
from flask import Flask, current_app, g
from sqlalchemy import TextClause, create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# SQLSTATEs after which PostgreSQL has rolled the transaction back and a new attempt may succeed.
TRANSIENT_SQLSTATES = {"40P01": "deadlock", "40001": "serialization failure"}
MAX_ATTEMPTS = 4
# The database is not there: refused or dropped connections, a server shutting down or starting, a full pool
# (raised through SQLAlchemy, or by psycopg itself on the map's direct reads).
UNAVAILABLE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, psycopg.OperationalError,
                      psycopg.InterfaceError)


@cache
def psycopg_sql(statement: TextClause) -> str:
    """A text() statement's SQL with its :name parameters in psycopg's %(name)s style (`::` casts kept)."""
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", str(statement).replace("%", "%%"))


def transient_failure(error: BaseException) -> str | None:
    """Why a database error is worth a retry (deadlock, serialization failure), or None."""
    if isinstance(error, sa_exc.DBAPIError):
        return TRANSIENT_SQLSTATES.get(getattr(error.orig, "sqlstate", None))
    return None


def run_with_retry(attempt: Callable[[], object], rollback: Callable[[], None]):
    """Run `attempt` again after a transient failure, up to MAX_ATTEMPTS times with a short random pause."""
    for number in range(1, MAX_ATTEMPTS + 1):
        try:
            return attempt()
        except sa_exc.DBAPIError as error:
            why = transient_failure(error)
            if why is None or number == MAX_ATTEMPTS:
                raise
            rollback()
            log.info("retrying after a %s (attempt %d of %d)", why, number + 1, MAX_ATTEMPTS)
            # Jitter spreads the retries of the transactions that collided, so they do not collide again.
            time.sleep(random.uniform(0.005, 0.05) * number)


class Database:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        self._bound: Connection | None = None

    def bind_to(self, connection, **kwargs) -> None:
        """Make every session of this app use one connection (tests join an outer transaction this way)."""
        self.sessionmaker = sessionmaker(bind=connection, expire_on_commit=False, **kwargs)
        self._bound = connection

    @contextmanager
    def read_rows(self) -> Iterator[Callable[[TextClause, dict], Sequence]]:
        """A function running read-only text() statements on one pooled connection, in autocommit.

        The map's hottest path: a session would wrap each read in BEGIN … ROLLBACK (two more round trips),
        and SQLAlchemy's execution layer costs more Python than the driver call itself, so the statements go
        straight to psycopg; the pool (with its pre-ping) still hands out and takes back the connection.
        """
        if self._bound is not None:
            yield lambda statement, params: self._bound.execute(statement, params).one()
            return
        pooled = self.engine.raw_connection()
        driver = pooled.driver_connection
        driver.autocommit = True
        try:
            yield lambda statement, params: driver.execute(psycopg_sql(statement), params).fetchone()
        except psycopg.OperationalError:
            pooled.invalidate()  # the connection may be dead: never hand it out again
            raise
        finally:
            if pooled.is_valid:
                driver.autocommit = False
                pooled.close()


def init_db(app: Flask, url: str) -> Database:
    config = app.config
    connect_args = {"connect_timeout": 5}
    if config["DATABASE_STATEMENT_TIMEOUT_MS"]:
        connect_args["options"] = f"-c statement_timeout={int(config['DATABASE_STATEMENT_TIMEOUT_MS'])}"
    # Pre-ping: a pooled connection that PostgreSQL dropped (a restart, a failover) is replaced at checkout
    # instead of failing the request that drew it. One pool per process, sized to its threads.
    engine = create_engine(url, pool_size=config["DATABASE_POOL_SIZE"], max_overflow=config["DATABASE_POOL_SIZE"],
                           pool_recycle=1800, pool_pre_ping=True, pool_timeout=10, connect_args=connect_args)
    database = Database(engine)
    app.extensions["stepfree_db"] = database

    @app.teardown_appcontext
    def close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    return database


def get_database() -> Database:
    return current_app.extensions["stepfree_db"]


def rollback_request_session() -> None:
    """Roll back this request's session; a connection that died meanwhile is discarded instead."""
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except sa_exc.DBAPIError:
        log.warning("could not roll back on a failed connection; discarding the session")
        session.close()
        g.pop("db_session", None)


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = get_database().sessionmaker()
    return g.db_session
