"""A cadre on a phone: the home page, in Chinese, fits the screen, offline-safe assets."""


def test_cadre_signs_in_and_sees_the_home_page_in_chinese(phone):
    phone.login("demo-cadre")
    page = phone.page
    assert page.url.rstrip("/") == phone.base
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "我的帮扶" in page.title()
    assert page.locator("h1").inner_text().startswith("我的帮扶")
    assert page.locator(".household-link").count() == 2
    assert phone.horizontal_overflow() <= 0
    assert phone.console_errors == []
    assert phone.outside == []


def test_login_and_home_pass_the_accessibility_check(phone):
    phone.goto("/login")
    assert phone.axe_violations() == []
    phone.login("demo-cadre")
    assert phone.axe_violations() == []


def test_leader_pages_fit_a_phone_and_pass_the_accessibility_check(phone):
    phone.login("demo-leader")
    for path in ("/", "/households/", "/villages/", "/cadres/"):
        phone.goto(path)
        assert phone.horizontal_overflow() <= 0, path
        assert phone.axe_violations() == [], path
    assert phone.console_errors == [] and phone.outside == []


def test_bad_password_shows_a_clear_message(phone):
    phone.login("demo-cadre", "wrong password")
    assert "用户名或密码不正确" in phone.page.content()
    assert phone.page.locator("#password").get_attribute("aria-invalid") == "true"


def test_the_accessibility_check_does_catch_problems(phone):
    """Guard against a checker that silently passes everything."""
    phone.goto("/login")
    phone.page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=bad>')")
    assert "label" in [v["id"] for v in phone.axe_violations()]
