"""The app factory, configuration layers and the health check."""
import os

import pytest

from relief import create_app


def test_defaults_then_instance_file_then_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELIEF_VISIT_DUE_DAYS", raising=False)
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("VISIT_DUE_DAYS = 21\nMAX_HOUSEHOLDS_PER_CADRE = 3\n")
    monkeypatch.setenv("RELIEF_MAX_HOUSEHOLDS_PER_CADRE", "4")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["VISIT_DUE_DAYS"] == 21  # from instance/config.py
    assert app.config["MAX_HOUSEHOLDS_PER_CADRE"] == 4  # environment wins, typed like the default
    assert app.config["DEFAULT_TARGET_YUAN"] == 150_000  # default


def test_secret_key_is_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("RELIEF_SECRET_KEY", raising=False)
    instance = tmp_path / "inst"
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}).config["SECRET_KEY"]
    second = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert oct(os.stat(instance / "secret_key").st_mode & 0o777) == "0o600"


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    """A .env file beside the project sets RELIEF_* settings (here one that differs from its default)."""
    import dotenv

    from relief import config

    env_file = tmp_path / ".env"
    env_file.write_text("RELIEF_VISIT_DUE_DAYS=45\n")
    asked = []

    def load_dotenv(path):
        asked.append(path)
        return dotenv.load_dotenv(env_file)
    monkeypatch.delenv("RELIEF_VISIT_DUE_DAYS", raising=False)
    monkeypatch.setattr(config, "load_dotenv", load_dotenv)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["VISIT_DUE_DAYS"] == 45
    assert asked and asked[0].name == ".env" and asked[0].parent == config.Path(app.root_path).parent
    monkeypatch.delenv("RELIEF_VISIT_DUE_DAYS")


def test_healthz_checks_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/none.db", "SECRET_KEY": "x"})
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "error"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    from relief.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_api_errors_are_json(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.is_json and "error" in r.get_json()


def test_error_pages_are_calm_and_in_chinese(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "找不到该页面或记录" in html and "Traceback" not in html


@pytest.mark.config()  # adds a route: an app of its own
def test_unexpected_errors_show_a_calm_500(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail")

    r = client.get("/boom-for-test")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "secret detail" not in body and "系统出了点问题" in body
