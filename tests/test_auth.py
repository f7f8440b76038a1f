"""Sign-in, sessions, CSRF, throttling and the password rules."""
import re

import pytest

from relief.extensions import db
from relief.models import AuditEvent, Role, User

from .conftest import PASSWORD, csrf_token


def test_login_page_is_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "登录" in html and "<title>" in html


def test_sign_in_and_out(client, auth, admin):
    r = auth.login("alice")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_says_so_and_signs_nobody_in(client, auth, admin):
    r = auth.login("alice", "wrong password")
    assert r.status_code == 422
    assert "用户名或密码不正确" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(auth, admin):
    r = auth.login("nobody", PASSWORD)
    assert "用户名或密码不正确" in r.get_data(as_text=True)


def test_a_form_without_csrf_token_is_refused(client, admin):
    r = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 400
    assert "安全令牌" in r.get_data(as_text=True)


def test_logout_without_csrf_token_is_refused(client, auth, admin):
    auth.login("alice")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_logout_ends_the_session_on_the_server(app, client, auth, admin):
    auth.login("alice")
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert thief.get("/").status_code == 302  # the copied cookie no longer signs anyone in


def test_session_cookie_flags(app, client, auth, admin):
    r = auth.login("alice")
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith(app.config["SESSION_COOKIE_NAME"])][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_under_https(app, admin):
    c = app.test_client()
    html = c.get("/login", base_url="https://relief.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token},
               base_url="https://relief.example", headers={"Referer": "https://relief.example/login"})
    assert r.status_code == 302
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith(app.config["SESSION_COOKIE_NAME"])][0]
    assert "Secure" in cookie


def test_logins_are_throttled_per_username(client, auth, admin):
    codes = [auth.login("alice", "wrong").status_code for _ in range(6)]
    assert codes[:5] == [422] * 5 and codes[5] == 429
    assert "尝试次数过多" in auth.login("alice", "wrong").get_data(as_text=True)


def test_logins_are_throttled_per_address(app, client, auth, admin):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    codes = [auth.login(f"user{i}", "wrong").status_code for i in range(4)]
    assert codes[-1] == 429


@pytest.mark.parametrize("target, expected", [
    ("/households/", "/households/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_within_this_site(auth, admin, target, expected):
    r = auth.login("alice", next_url=target)
    assert r.headers["Location"] == expected


def test_protected_page_sends_to_login_with_next(client):
    r = client.get("/households/?q=x")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def test_passwords_are_stored_as_argon2id(admin):
    assert admin.password_hash.startswith("$argon2id$")


def test_a_disabled_user_is_signed_out(client, auth, admin):
    auth.login("alice")
    db.session.get(User, admin.id).active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_sign_in_is_audited(auth, admin):
    auth.login("alice")
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "login")).username == "alice"


def test_password_change_refuses_short_and_common_passwords(client, auth, admin):
    auth.login("alice")
    token = csrf_token(client, "/password")
    for bad in ("short", "password123", "12345678"):
        r = client.post("/password", data={"csrf_token": token, "current": PASSWORD, "new": bad, "confirm": bad})
        assert r.status_code == 422 and "is-invalid" in r.get_data(as_text=True)
    good = "春天的风吹过田野"
    r = client.post("/password", data={"csrf_token": token, "current": PASSWORD, "new": good, "confirm": good})
    assert r.status_code == 302
    auth.logout()
    assert auth.login("alice", good).status_code == 302


def test_admin_set_password_must_be_changed_at_first_sign_in(client, auth, admin, f):
    f.user("bob", Role.INSPECTOR)
    f.commit()
    auth.login("alice")
    bob = db.session.scalar(db.select(User).where(User.username == "bob"))
    token = csrf_token(client, f"/users/{bob.id}")
    r = client.post(f"/users/{bob.id}/password", data={"csrf_token": token, "reset-csrf_token": token,
                                                       "reset-password": "一个新的临时密码"})
    assert r.status_code == 302
    auth.logout()
    r = auth.login("bob", "一个新的临时密码")
    assert r.headers["Location"] == "/password"
    assert client.get("/households/").headers["Location"] == "/password"
