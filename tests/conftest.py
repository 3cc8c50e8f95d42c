"""Test fixtures: one throwaway PostGIS database per test run, built by the Alembic migrations.

Each test runs inside an outer transaction that is rolled back afterwards; the code under test may
commit freely because its session joins that transaction with savepoints (SQLAlchemy 2 docs, "Joining a
Session into an External Transaction").
"""

import os
import re
import tempfile
import uuid
from contextlib import contextmanager

import psycopg.errors
import pytest
from alembic import command
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import create_app
from app.config import Config, normalise_database_url
from app.dbadmin import drop_database, ensure_database
from app.extensions import limiter
from app.schema import alembic_config
from tests.factories import make_user
from tests.pgcluster import TempCluster
from tests.servers import serving

TEST_PASSWORD = "correct horse battery"
# Photos sent in tests land here (one folder per test run), never in the instance folder.
TEST_MEDIA_ROOT = tempfile.mkdtemp(prefix="stepfree-media-")
# The OSM node location index an import writes (app/services/osm_diff.py), never in the instance folder.
TEST_NODE_INDEX = os.path.join(tempfile.mkdtemp(prefix="stepfree-osm-"), "osm-nodes.idx")
TABLES = ("osm_upstream_holds", "osm_nodes", "place_changes", "moderation_events", "votes", "check_skips", "notices",
          "event_participants", "mapping_events", "revisions", "submissions", "device_bans", "places", "users")


def _server_url() -> str:
    url = os.environ.get("STEPFREE_TEST_SERVER_URL") or os.environ.get("DATABASE_URL")
    if not url:
        pytest.exit("Run the tests with 'make test' (it sets up a PostGIS server), or set "
                    "STEPFREE_TEST_SERVER_URL=postgresql://user@host:port", returncode=2)
    return normalise_database_url(url)


def throwaway_database_url(prefix: str = "stepfree_test") -> str:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    return make_url(_server_url()).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url():
    url = throwaway_database_url()
    ensure_database(url)
    command.upgrade(alembic_config(url), "head")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture
def session(connection):
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
        yield s


# The savepoints that let code under test commit inside the test's transaction; production runs none of them.
_SAVEPOINT_SQL = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.IGNORECASE)


class QueryCounter:
    """The SQL statements run inside one `with count_queries() as counted:` block."""

    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        listed = "\n".join(f"{n}. {' '.join(sql.split())[:300]}" for n, sql in enumerate(self.statements, 1))
        return f"{self.count} statements:\n{listed}"


@pytest.fixture
def count_queries(connection):
    """Count the SQL statements the code under test runs, to catch N+1 queries (after indico's fixture).

    The test app binds every session, and the map API's direct reads (app.db.Database.read_rows), to the
    test's connection, so listening there sees them all:

        with count_queries() as counted:
            client.get("/moderate")
        assert counted.count <= 5, counted
    """
    @contextmanager
    def counting():
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            if not _SAVEPOINT_SQL.match(statement):
                counter.statements.append(statement)

        event.listen(connection, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(connection, "before_cursor_execute", record)

    return counting


def make_test_config(database_url: str, **overrides) -> Config:
    config = Config(DATABASE_URL=database_url, SECRET_KEY="test-secret-key", TILE_URL="/tiles/{z}/{x}/{y}.png",
                    MEDIA_ROOT=TEST_MEDIA_ROOT, OSM_NODE_INDEX=TEST_NODE_INDEX)
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture
def app(database_url, connection):
    app = create_app(make_test_config(database_url))
    app.config["TESTING"] = True
    app.extensions["stepfree_db"].bind_to(connection, join_transaction_mode="create_savepoint")
    with app.app_context():
        limiter.reset()
    yield app
    app.extensions["stepfree_db"].engine.dispose()


@pytest.fixture
def app_context(app):
    """An application context around a service-level test (services read the app's settings through it).
    Modules whose every test needs one declare `pytestmark = pytest.mark.usefixtures("app_context")`."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or \
        re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


class AuthActions:
    """Sign in and out through the real forms, CSRF token included."""

    def __init__(self, client, session):
        self._client = client
        self._session = session

    def token(self, path: str = "/account/login") -> str:
        return csrf_token_from(self._client.get(path).get_data(as_text=True))

    def login(self, email: str, password: str = TEST_PASSWORD):
        return self._client.post("/account/login", data={
            "email": email, "password": password, "csrf_token": self.token()})

    def login_as(self, role: str = "volunteer", **kwargs):
        user = make_user(self._session, role=role, password=TEST_PASSWORD, **kwargs)
        self._session.commit()
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def logout(self):
        return self._client.post("/account/logout", data={"csrf_token": self.token("/")})


@pytest.fixture
def auth(client, session):
    return AuthActions(client, session)


# A real server in a thread, for browsers and for GDAL. It commits for real (an outside client cannot join
# a test's transaction), so `live_db` empties the tables before and after each test that uses it.
@pytest.fixture(scope="session")
def live_app(database_url):
    app = create_app(make_test_config(database_url))
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def temp_cluster():
    """A PostgreSQL server of its own, for tests that stop and start the database under the app."""
    cluster = TempCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def empty_tables(engine, attempts: int = 5) -> None:
    """TRUNCATE every table, again if a request the browser left behind deadlocked with it (TRUNCATE locks the
    tables one by one, and a server thread may still read two of them in the other order)."""
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            return
        except OperationalError as error:
            if not isinstance(error.orig, psycopg.errors.DeadlockDetected) or attempt == attempts - 1:
                raise


@pytest.fixture
def live_db(live_app, live_server):
    """A session on the live server's database, committing for real, on empty tables."""
    engine = live_app.extensions["stepfree_db"].engine
    empty_tables(engine)
    with live_app.app_context():
        limiter.reset()
    with Session(engine, expire_on_commit=False) as session:
        yield session
    empty_tables(engine)
