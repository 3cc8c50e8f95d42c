"""Whether this process can serve: the database answers and its schema is the one the code expects.

A load balancer sends no traffic to a process that is not ready, and a deploy waits for readiness before
it moves on: a process whose database lacks the latest migration would fail on the first query that needs it.
"""

import logging
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import UNAVAILABLE_ERRORS, rollback_request_session
from app.schema import alembic_config

log = logging.getLogger(__name__)

OK = "ok"
NOT_CHECKED = "not checked"


@cache
def migration_heads() -> frozenset[str]:
    """The head revision(s) of the migration scripts shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def readiness_checks(session: Session) -> dict[str, str]:
    """Each check's outcome: "ok", or a short reason it failed (no connection details: the answer is public)."""
    checks = {"database": NOT_CHECKED, "migrations": NOT_CHECKED}
    try:
        session.execute(text("SELECT 1"))
    except (*UNAVAILABLE_ERRORS, sa_exc.DBAPIError) as error:
        log.warning("not ready: database: %s", str(getattr(error, "orig", None) or error).strip().splitlines()[0])
        rollback_request_session()
        checks["database"] = "unreachable"
        return checks
    checks["database"] = OK
    checks["migrations"] = _migrations_check(session)
    return checks


def _migrations_check(session: Session) -> str:
    heads = migration_heads()
    try:
        applied = frozenset(session.scalars(text("SELECT version_num FROM alembic_version")))
    except sa_exc.ProgrammingError:
        # No alembic_version table: this database was never migrated.
        rollback_request_session()
        applied = frozenset()
    if applied == heads:
        return OK
    result = f"database at {_names(applied)}, code expects {_names(heads)}"
    log.warning("not ready: migrations: %s", result)
    return result


def _names(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
