"""Hardening (issue 6): each protection has a test that fails if it is removed."""
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import AuditEvent, Role, UserSession, utcnow

from .conftest import PASSWORD, csrf_token


@pytest.fixture
def admin(f):
    u = f.user("alice", Role.ADMIN)
    f.commit()
    return u


def test_content_security_policy_forbids_inline_scripts_and_eval(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in csp
    assert "'nonce-" in script_src
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp


def test_the_nonce_changes_with_every_response(client):
    a = client.get("/login").headers["Content-Security-Policy"]
    b = client.get("/login").headers["Content-Security-Policy"]
    assert a != b


def test_pages_have_no_inline_script(client, auth, admin):
    auth.login("alice")
    for path in ("/login", "/", "/households/", "/villages/", "/cadres/", "/users/"):
        html = client.get(path).get_data(as_text=True)
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or "nonce=" in tag or 'type="application/json"' in tag, (path, tag)
        assert " onclick=" not in html and " onload=" not in html


def test_nosniff_referrer_policy_and_framing(client):
    h = client.get("/login").headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["X-Frame-Options"] == "SAMEORIGIN"


def test_hsts_only_under_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "max-age=" in client.get("/login", base_url="https://relief.example").headers["Strict-Transport-Security"]


def test_pages_with_personal_data_are_not_cached(client, auth, admin, f):
    h = f.household()
    f.commit()
    auth.login("alice")
    assert client.get(f"/households/{h.id}").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def _age_session(**delta):
    row = db.session.scalar(sa.select(UserSession).where(UserSession.ended_at.is_(None)))
    if "idle" in delta:
        row.last_seen_at = utcnow() - delta["idle"]
    if "age" in delta:
        row.created_at = utcnow() - delta["age"]
    db.session.commit()


def test_an_idle_session_ends_after_30_minutes(client, auth, admin):
    auth.login("alice")
    _age_session(idle=timedelta(minutes=29))
    assert client.get("/").status_code == 200
    _age_session(idle=timedelta(minutes=31))
    assert client.get("/").status_code == 302


def test_a_session_ends_12_hours_after_sign_in_however_active(client, auth, admin):
    auth.login("alice")
    _age_session(age=timedelta(hours=12, minutes=1))
    assert client.get("/").status_code == 302


def test_requests_over_the_size_limit_get_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = client.post("/login", data={"username": "x" * 4000, "password": "y"})
    assert r.status_code == 413
    assert "上传的文件太大" in r.get_data(as_text=True)


def test_limiter_uses_redis_when_configured(tmp_path):
    from relief import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "SECRET_KEY": "x",
                      "REDIS_URL": "redis://127.0.0.1:6399/0"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6399/0"


@pytest.mark.config(PROXY_FIX_HOPS=1)
def test_proxy_fix_trusts_the_configured_proxy(client, auth, admin):
    token = csrf_token(client)
    r = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token},
                    headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
                             "Referer": "https://localhost/login"})
    assert r.status_code == 302
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "login"))
    assert event.address == "203.0.113.9"
    assert "Secure" in [h for h in r.headers.getlist("Set-Cookie") if h.startswith("relief_session")][0]


def test_without_proxy_fix_forwarded_headers_are_ignored(client, auth, admin):
    token = csrf_token(client)
    client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token},
                headers={"X-Forwarded-For": "203.0.113.9"})
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "login"))
    assert event.address != "203.0.113.9"


def test_errors_are_logged_without_the_submitted_personal_data(app, client, caplog):
    @app.post("/boom-with-data")
    def boom():
        raise RuntimeError("failed")

    app.config["WTF_CSRF_ENABLED"] = False
    with caplog.at_level(logging.ERROR):
        client.post("/boom-with-data?x=1", data={"id_number": "11010519491231002X", "phone": "13812345678"})
    text = caplog.text
    assert "failed" in text and "11010519491231002X" not in text and "13812345678" not in text
