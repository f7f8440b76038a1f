"""Fixtures: the app on SQLite and, when RELIEF_TEST_DATABASE_URL is set, on PostgreSQL; and the
setups that several test files share (the rows they start from: tests/factories.py).

Every test that takes `app`, `client` or `f` runs once per configured database. The app and
the schema are built once per database per session; each test starts from empty tables and the
configuration it was built with.
"""
from __future__ import annotations

import contextvars
import copy
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import date

# Compiled code is kept between runs (__pycache__, git-ignored) even where PYTHONDONTWRITEBYTECODE
# is set: otherwise every test process, gunicorn worker and `flask` subprocess compiles relief,
# and pytest rewrites every test module again in each xdist worker (~0.5 s and ~5 s of CPU).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from relief import create_app
from relief.extensions import db, limiter
from relief.maps.services import cache as map_cache
from relief.models import PairingKind, Role, StationRole

from .factories import Factories
from .factories import exported_year as exported_year_rows

# the `w` fixture of the monitoring tests (the district of monitoring_support.world); `demo`
pytest_plugins = ["tests.monitoring_support", "tests.demo_support"]

PG_URL = os.environ.get("RELIEF_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "correct horse battery"


def _slow(item) -> bool:
    return "browser" in item.path.parts or item.get_closest_marker("slow") is not None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The slow tests (the browser's and those marked slow) spread evenly over the first half of
    the run. pytest-xdist hands each process runs of consecutive tests, so in the order of their
    names the browser tests would all land in one process, which then ends minutes after the
    others; spread out and early, they start in every process and none is left for the end."""
    slow = [item for item in items if _slow(item)]
    if not slow:
        return
    rest = [item for item in items if not _slow(item)]
    every = max(1, len(items) // 2 // len(slow))  # a slow test every `every` places
    ordered = []
    for n, item in enumerate(slow):
        ordered.append(item)
        ordered.extend(rest[n * (every - 1):(n + 1) * (every - 1)])
    ordered.extend(rest[len(slow) * (every - 1):])
    items[:] = ordered


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}
    worker_db = None
    if PG_URL:
        urls["postgresql"] = PG_URL
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:  # tests run in parallel processes (pytest-xdist): a database of each one's own
            worker_db = f"{sa.make_url(PG_URL).database}_{worker}"
            _recreate_database(PG_URL, worker_db)
            urls["postgresql"] = sa.make_url(PG_URL).set(database=worker_db).render_as_string(hide_password=False)
    built = {}
    yield urls, built
    for url in built.values():
        engine = sa.create_engine(url)
        from relief.extensions import Base

        Base.metadata.drop_all(engine)
        engine.dispose()
    if worker_db:
        _recreate_database(PG_URL, worker_db, create=False)


def _recreate_database(url: str, name: str, create: bool = True) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def test_config(url: str, tmp_path, **extra) -> dict:
    cfg = {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "RATELIMIT_STORAGE_URI": "memory://",
        "TILE_URL": "none",
    }
    cfg.update(extra)
    return cfg


class Client(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g` and db session.

    The test keeps its own context (for factories and queries) and sees the request's writes
    afterwards because its transaction ends around every request.
    """

    def open(self, *args, **kwargs):
        db.session.commit()  # the request sees what the test wrote; the test's snapshot ends
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.commit()  # expire, so the test reads what the request wrote
        return response


@pytest.fixture(scope="session")
def shared_apps():
    """One app per database for the whole session: templates are compiled once, not per test."""
    return {}


def _new_app(url: str, tmp_path, overrides: dict):
    application = create_app(test_config(url, tmp_path, **overrides))
    application.test_client_class = Client
    return application


@pytest.fixture(params=BACKENDS)
def app(request, database_urls, shared_apps, tmp_path, monkeypatch):
    """The app on one database, with empty tables. Tests share one app per database; its
    configuration, caches and limiter counters are put back after each test. A test marked
    `@pytest.mark.config(...)` (configuration read while the app is built, or routes of its own)
    gets an app of its own."""
    urls, built = database_urls
    url = urls[request.param]
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("RELIEF_") and not key.startswith("RELIEF_TEST_"):
            monkeypatch.delenv(key)
    marker = request.node.get_closest_marker("config")
    if marker is not None:
        application = _new_app(url, tmp_path, marker.kwargs)
        pristine = None
    else:
        if request.param not in shared_apps:
            shared = _new_app(url, tmp_path, {})
            shared_apps[request.param] = (shared, copy.deepcopy(dict(shared.config)), _limiter_state())
        application, pristine, limits = shared_apps[request.param]
        # the limiter is one object for the process: another test's create_app() rebinds its storage
        _limiter_state(limits)
    application.instance_path = str(tmp_path / "instance")
    with application.app_context():
        if request.param not in built:
            db.drop_all()
            db.create_all()
            built[request.param] = url
        try:
            yield application
        finally:
            db.session.remove()
            _empty_tables()
            if pristine is None:  # an app of its own: its connections go with it
                db.engine.dispose()
            else:  # the shared app keeps its pool; its configuration is put back
                application.config.clear()
                application.config.update(copy.deepcopy(pristine))
            application.extensions.pop("relief_figures", None)
            map_cache.clear()
            limiter.reset()


def _limiter_state(state: tuple | None = None) -> tuple:
    """Flask-Limiter keeps one storage per process (what the last create_app configured): read
    it, or put back one read earlier."""
    if state is not None:
        limiter.enabled, limiter._storage, limiter._limiter = state
    return limiter.enabled, limiter._storage, limiter._limiter


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # only the tables a test wrote to, found in one query, emptied by DELETE (a few rows:
            # cheaper than TRUNCATE, which costs ~2 ms a table even when empty) with triggers off for
            # this transaction (the audit trail's append-only rule, the foreign keys); every id
            # sequence starts again at 1 (setval is cheap and not transactional)
            quoted = [f'"{t.name}"' for t in tables]
            written = [name for (name,) in conn.exec_driver_sql(" UNION ALL ".join(
                f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in quoted))]
            if written:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for name in written:
                    conn.exec_driver_sql(f"DELETE FROM {name}")
            conn.exec_driver_sql("SELECT setval(oid, 1, false) FROM pg_class "
                                 "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")
        else:
            # the audit trail is append-only (triggers): lift that for the clean-up only
            from relief.models.audit import APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL

            for statement in DROP_APPEND_ONLY_SQL["sqlite"]:
                conn.exec_driver_sql(statement)
            for t in tables:
                conn.execute(t.delete())
            for statement in APPEND_ONLY_SQL["sqlite"]:
                conn.exec_driver_sql(statement)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def f(app):
    """Factories that write real rows: f.household(...), f.user(...), ..."""
    return Factories()


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, next_url: str | None = None):
        data = {"username": username, "password": password, "csrf_token": csrf_token(self.client)}
        if next_url is not None:
            data["next"] = next_url
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/")})


@pytest.fixture
def auth(client):
    return Auth(client)


# -- the setups several test files share ------------------------------------------------------

@pytest.fixture
def admin(f):
    """An admin login ("alice"), not signed in."""
    user = f.user("alice", Role.ADMIN)
    f.commit()
    return user


@pytest.fixture
def admin_client(client, auth, f):
    """The client, signed in as an admin ("admin")."""
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    return client


@pytest.fixture
def me(f, auth):
    """A cadre ("cad") paired with one household, signed in."""
    from .visit_support import paired

    cadre = paired(f)
    auth.login("cad")
    return cadre


@pytest.fixture
def places(f):
    """The township 东镇 with the weak village 甲村 and the village 乙村, for rosters to refer to."""
    east = f.township("东镇")
    f.village(east, "甲村", is_weak=True)
    f.village(east, "乙村")
    f.commit()
    return east


@pytest.fixture
def run(runner, tmp_path):
    """`relief import KIND FILE`: run(kind, file bytes, name, *options) -> the command's result."""
    def invoke(kind, data: bytes, name="名单.xlsx", *extra):
        path = tmp_path / name
        path.write_bytes(data)
        db.session.commit()
        return runner.invoke(args=["relief", "import", kind, str(path), *extra])
    return invoke


@pytest.fixture
def stationed(f):
    """A township's weak village with a stationed cadre, a team member, one who left in February
    2025 and a household pairing; a stationed cadre in another township; a user of every role
    (the cadre is the stationed one)."""
    s, t = PairingKind.STATIONED, PairingKind.TEAM
    town, other = f.township("一镇"), f.township("二镇")
    v, v_out = f.village(town, "甲村", is_weak=True), f.village(other, "乙村", is_weak=True)
    start = date(2024, 1, 1)
    out = dict(
        s=f.pairing(f.cadre("驻村甲"), village=v, kind=s, role=StationRole.FIRST_SECRETARY, started_on=start),
        t=f.pairing(f.cadre("队员乙"), village=v, kind=t, role=StationRole.MEMBER, started_on=start),
        left=f.pairing(f.cadre("已离开丙"), village=v, kind=t, role=StationRole.MEMBER, started_on=start,
                       ended_on=date(2025, 2, 15)),
        h=f.pairing(f.cadre("户结对丁"), f.household(v)),
        out=f.pairing(f.cadre("外镇戊"), village=v_out, kind=s, role=StationRole.FIRST_SECRETARY, started_on=start),
    )
    f.user("admin", Role.ADMIN)
    f.user("leader", Role.LEADER, township=town)
    f.user("inspector", Role.INSPECTOR)
    f.user("cadre", Role.CADRE, cadre=out["s"].cadre)
    f.commit()
    return out


@pytest.fixture
def exported_year(f, app):
    """factories.exported_year: a year (2025) of work in two townships, with text made to look
    like formulas, and a login of every role."""
    return exported_year_rows(f)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A private redis-server on a free port for the session (skipped without one, unless
    RELIEF_REQUIRE_REDIS=1)."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("RELIEF_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is missing but RELIEF_REQUIRE_REDIS=1")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)
