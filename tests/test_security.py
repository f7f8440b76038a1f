"""Hardening (issue 6): each protection has a test that fails if it is removed."""
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import AuditEvent, Role, User, UserSession, utcnow

from .conftest import PASSWORD, csrf_token


def test_content_security_policy_forbids_inline_scripts_and_eval(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in csp
    assert "'nonce-" in script_src
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp


def test_an_answer_that_is_no_page_lets_no_inline_script_run(client):
    """JSON holds no script of its own: its policy names no nonce at all (opened as a document,
    nothing inline in it may run), and is otherwise the pages' policy."""
    page = client.get("/login").headers["Content-Security-Policy"]
    answer = client.get("/healthz").headers["Content-Security-Policy"]
    script_src = next(d for d in answer.split("; ") if d.startswith("script-src"))
    assert script_src == "script-src 'self'"
    assert [d for d in answer.split("; ") if not d.startswith("script-src")] == \
        [d for d in page.split("; ") if not d.startswith("script-src")]


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


@pytest.mark.config()  # adds a route: an app of its own
def test_errors_are_logged_without_the_submitted_personal_data(app, client, caplog):
    @app.post("/boom-with-data")
    def boom():
        raise RuntimeError("failed")

    app.config["WTF_CSRF_ENABLED"] = False
    with caplog.at_level(logging.ERROR):
        client.post("/boom-with-data?x=1", data={"id_number": "11010519491231002X", "phone": "13812345678"})
    text = caplog.text
    assert "failed" in text and "11010519491231002X" not in text and "13812345678" not in text


def test_a_password_hash_is_upgraded_when_the_parameters_change(app, client, auth, admin):
    old = admin.password_hash
    assert "t=1," in old
    app.config["ARGON2_TIME_COST"] = 2
    assert auth.login("alice").status_code == 302
    new = db.session.get(User, admin.id).password_hash
    assert new != old and new.startswith("$argon2id$") and "t=2," in new
    auth.logout()
    assert auth.login("alice").status_code == 302


def test_an_unknown_username_costs_a_password_check_too(auth, admin, monkeypatch):
    """Without the dummy hash an unknown name answers at once: a timing oracle for usernames."""
    from relief.auth import services

    checked = []
    real = services.verify_password
    monkeypatch.setattr(services, "verify_password", lambda stored, pw: checked.append(stored) or real(stored, pw))
    auth.login("nobody", PASSWORD)
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")


def test_the_default_request_size_limit_refuses_a_larger_body(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 20 * 1024 * 1024
    r = client.post("/login", data=b"x" * (limit + 1), content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and "上传的文件太大" in r.get_data(as_text=True)


def test_api_tokens_are_stored_hashed_and_revoked_when_the_user_is_disabled(app, client, auth, admin, f):
    import hashlib

    from relief.models import ApiToken

    cadre_user = f.user("bob", Role.CADRE)
    f.commit()
    token = client.post("/api/v1/token", json={"username": "bob", "password": PASSWORD}).get_json()["token"]
    stored = db.session.scalar(sa.select(ApiToken.token_hash))
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    headers = {"Authorization": f"Bearer {token}"}
    phone = app.test_client()  # the cadre's phone: the token only, no browser session
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 200
    auth.login("alice")
    page = f"/users/{cadre_user.id}"
    r = client.post(page, data={"csrf_token": csrf_token(client, page), "username": "bob", "role": "cadre",
                                "township": "", "cadre_phone": cadre_user.cadre.phone})  # "启用" unticked
    assert r.status_code == 302
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None
    db.session.get(User, cadre_user.id).active = True  # even switched back on, the old token stays dead
    db.session.commit()
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 401


def test_a_password_change_revokes_the_api_tokens(app, client, auth, f):
    f.user("bob", Role.CADRE)
    f.commit()
    token = client.post("/api/v1/token", json={"username": "bob", "password": PASSWORD}).get_json()["token"]
    phone, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 200
    auth.login("bob")
    new = "春天的风吹过田野"
    client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                   "new": new, "confirm": new})
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 401


def test_reveals_are_never_a_get(client, auth, admin, f):
    """A GET would put the request for a full ID number into browser history and proxy logs."""
    h = f.household()
    f.commit()
    auth.login("alice")
    assert client.get(f"/households/{h.id}/reveal?field=id_number").status_code == 405
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "reveal")) == 0


def test_the_access_log_of_make_run_leaves_out_query_strings():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    fmt = makefile.split("--access-logformat", 1)[1].split("wsgi:app", 1)[0]
    assert "%(U)s" in fmt and "%(r)s" not in fmt and "%(q)s" not in fmt


def _bobs_phone(app, client, f):
    """bob, a cadre, with a token his phone uses; returns (phone client, its headers, bob)."""
    bob = f.user("bob", Role.CADRE)
    f.commit()
    token = client.post("/api/v1/token", json={"username": "bob", "password": PASSWORD}).get_json()["token"]
    phone, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 200
    return phone, headers, bob


def test_signing_out_ends_the_users_api_tokens(app, client, auth, f):
    phone, headers, _bob = _bobs_phone(app, client, f)
    auth.login("bob")
    assert auth.logout().status_code == 302
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 401


def test_delete_token_ends_the_callers_token_at_once(app, client, f):
    phone, headers, _bob = _bobs_phone(app, client, f)
    r = phone.delete("/api/v1/token", headers=headers)
    assert r.status_code == 204 and r.get_data() == b""
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 401
    assert phone.delete("/api/v1/token", headers=headers).status_code == 401


def test_delete_token_from_a_browser_needs_its_csrf_token(app, client, auth, f):
    phone, headers, _bob = _bobs_phone(app, client, f)
    auth.login("bob")
    assert client.delete("/api/v1/token").status_code == 400  # a cross-site request cannot sign bob out
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 200
    r = client.delete("/api/v1/token", headers={"X-CSRFToken": csrf_token(client, "/")})
    assert r.status_code == 204
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 401


def test_an_admin_revokes_a_users_tokens_and_it_is_audited(app, client, auth, admin, f):
    from relief.models import AuditEvent

    phone, headers, bob = _bobs_phone(app, client, f)
    auth.login("alice")
    page = f"/users/{bob.id}"
    assert "1 个接口令牌有效" in client.get(page).get_data(as_text=True)
    r = client.post(f"{page}/tokens/revoke", data={"csrf_token": csrf_token(client, page)})
    assert r.status_code == 302
    assert phone.get("/api/v1/me/households", headers=headers).status_code == 401
    assert "0 个接口令牌有效" in client.get(page).get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "revoke"))
    assert event.entity_id == bob.id and event.username == "alice" and "1 API token" in event.note
