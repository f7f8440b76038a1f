"""Fixtures: an app per test on SQLite and, when RELIEF_TEST_DATABASE_URL is set, on PostgreSQL.

Every test that takes `app`, `client` or `f` runs once per configured database. The schema is
built once per database per session; each test starts from empty tables.
"""
from __future__ import annotations

import contextvars
import os
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from relief import create_app
from relief.extensions import db, limiter

from .factories import Factories

PG_URL = os.environ.get("RELIEF_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}
    if PG_URL:
        urls["postgresql"] = PG_URL
    built = {}
    yield urls, built
    for url in built.values():
        engine = sa.create_engine(url)
        from relief.extensions import Base

        Base.metadata.drop_all(engine)
        engine.dispose()


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


@pytest.fixture(params=BACKENDS)
def app(request, database_urls, tmp_path, monkeypatch):
    urls, built = database_urls
    url = urls[request.param]
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("RELIEF_") and not key.startswith("RELIEF_TEST_"):
            monkeypatch.delenv(key)
    overrides = {}
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides.update(marker.kwargs)
    application = create_app(test_config(url, tmp_path, **overrides))
    application.instance_path = str(tmp_path / "instance")
    application.test_client_class = Client
    with application.app_context():
        if request.param not in built:
            db.drop_all()
            db.create_all()
            built[request.param] = url
        yield application
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    limiter.reset()


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
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
