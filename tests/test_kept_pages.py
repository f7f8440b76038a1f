"""Pages kept whole (relief.templating.render_kept): the cadre's home and the dashboard are served
again without rendering, but never to another user, another session or another language, and a
message waiting to be shown still appears once."""
import re
import time

from relief.models import Role

from .conftest import Auth


def _token(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_kept_home_is_the_same_page_for_its_user_only(app, f):
    for name in ("干部甲", "干部乙"):
        f.user(name, role=Role.CADRE)
    f.commit()
    first, second = app.test_client(), app.test_client()
    Auth(first).login("干部甲")
    Auth(second).login("干部乙")
    page = first.get("/").get_data(as_text=True)
    again = first.get("/").get_data(as_text=True)
    assert again.replace(_token(again), "") == page.replace(_token(page), "")  # the token is signed per request
    assert "干部甲" in page and "干部乙" not in page
    other = second.get("/").get_data(as_text=True)
    assert "干部乙" in other and "干部甲" not in other
    assert _token(other) != _token(page)
    english = first.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Sign out" in english


def test_a_new_session_gets_its_own_working_token(client, f):
    f.user("干部丙", role=Role.CADRE)
    f.commit()
    auth = Auth(client)
    auth.login("干部丙")
    before = _token(client.get("/").get_data(as_text=True))
    assert auth.logout().status_code == 302
    auth.login("干部丙")
    page = client.get("/").get_data(as_text=True)
    assert _token(page) != before
    assert client.post("/logout", data={"csrf_token": _token(page)}).status_code == 302
    assert client.get("/").status_code == 302  # signed out: the kept page is not served


def test_a_flashed_message_shows_once_on_a_kept_page(client, f):
    township = f.township("东镇")
    f.user("镇长", role=Role.LEADER, township=township)
    f.commit()
    Auth(client).login("镇长")
    plain = client.get("/dashboard").get_data(as_text=True)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "已保存测试消息")]
    assert "已保存测试消息" in client.get("/dashboard").get_data(as_text=True)
    again = client.get("/dashboard").get_data(as_text=True)
    assert "已保存测试消息" not in again and again == plain


def test_a_kept_page_carries_a_token_signed_for_its_request(client, f):
    """The page is kept, its CSRF token is not: signed per request (with the time), so no secret
    stays the same from one compressed answer to the next (BREACH)."""
    f.user("干部戊", role=Role.CADRE)
    f.commit()
    Auth(client).login("干部戊")
    first = client.get("/").get_data(as_text=True)
    time.sleep(1.1)  # the signature carries the time in seconds
    second = client.get("/").get_data(as_text=True)
    assert _token(first) != _token(second)
    assert first.replace(_token(first), "") == second.replace(_token(second), "")
    assert client.post("/logout", data={"csrf_token": _token(first)}).status_code == 302
