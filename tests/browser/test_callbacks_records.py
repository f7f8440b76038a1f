"""Call-backs and the work record in a browser: a phone-sized admin runs the month, the bulletin prints on A4."""
from datetime import date

import pytest

from relief.callbacks.services import month_of

#: A4 is 210 mm wide; print.css leaves 12 mm margins: 186 mm at 96 px per inch
PRINTABLE_PX = int(186 / 25.4 * 96)


def _drawn(phone) -> None:
    """This month's sample exists (drawn through the page by the admin if it was not yet)."""
    phone.goto("/callbacks/")
    button = phone.page.get_by_role("button", name="抽取样本")
    if button.count():
        button.click()
        phone.page.wait_for_load_state("networkidle")
        assert "已为" in phone.page.locator(".alert-success").inner_text()
    assert phone.page.locator(".callback-item").count() > 0


def test_admin_runs_a_call_back_on_a_phone(phone):
    phone.login("demo-admin")
    _drawn(phone)
    page = phone.page
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    page.locator(".callback-item").first.click()
    page.wait_for_load_state("networkidle")
    assert "****" in page.locator(".phone").inner_text()
    assert phone.axe_violations() == []
    page.get_by_role("button", name="显示号码并拨打").click()
    page.wait_for_load_state("networkidle")
    assert "****" not in page.locator(".phone").inner_text()
    assert page.locator("a[href^='tel:']").count() == 1
    # a mistake first: reached, but no satisfaction
    page.check("#reached-yes")
    page.check("#cadre_visited-yes")
    page.get_by_role("button", name="保存回访结果").click()
    page.wait_for_load_state("networkidle")
    assert "已接通时请选择满意度" in page.content()
    assert phone.axe_violations() == []
    page.check("#satisfaction-mostly")
    page.fill("#visits_claimed", "2")
    page.get_by_role("button", name="保存回访结果").click()
    page.wait_for_load_state("networkidle")
    assert "已保存" in page.locator(".alert[role=alert]").inner_text()
    # the refused form answers 422, which the browser reports; nothing else may fail
    assert [e for e in phone.console_errors if "422" not in e] == [] and phone.outside == []


@pytest.mark.parametrize("user", ["demo-admin", "demo-inspector", "demo-leader"])
def test_call_back_pages_fit_a_phone_and_pass_the_accessibility_check(phone, user):
    phone.login("demo-admin")
    _drawn(phone)
    if user != "demo-admin":
        phone.page.context.clear_cookies()
        phone.login(user)
    month = month_of(date.today())
    paths = [f"/callbacks/?month={month}", f"/callbacks/bulletin?month={month}"]
    if user != "demo-leader":
        paths.append("/callbacks/mismatches")
    for path in paths:
        phone.goto(path)
        assert phone.horizontal_overflow() <= 0, path
        assert phone.axe_violations() == [], path
    assert phone.console_errors == [] and phone.outside == []


@pytest.mark.parametrize("user", ["demo-admin", "demo-leader", "demo-cadre"])
def test_work_record_fits_a_phone_and_passes_the_accessibility_check(phone, user):
    phone.login(user)
    phone.goto("/records/")
    assert phone.page.locator("h1").inner_text().startswith("实绩档案")
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    if user == "demo-cadre":
        assert phone.page.locator(".own-record").count() == 1
    else:
        assert phone.page.locator(".record-card").count() > 0
    phone.page.locator("summary").click()
    assert phone.page.get_by_text("捆绑考核").first.is_visible()
    assert phone.console_errors == [] and phone.outside == []


def test_bulletin_prints_on_a4_without_navigation(browser, live_server, phone):
    phone.login("demo-admin")
    _drawn(phone)
    context = browser.new_context(viewport={"width": PRINTABLE_PX, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#username", "demo-admin")
    page.fill("#password", "浏览器测试密码")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(live_server + f"/callbacks/bulletin?month={month_of(date.today())}")
    assert page.locator("nav.app-nav").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("nav.app-nav").is_visible()
    assert not page.locator("footer").is_visible()
    assert not page.get_by_role("button", name="打印").is_visible()
    assert page.locator(".bulletin h1").inner_text().endswith("结对帮扶回访情况通报")
    assert page.evaluate("document.documentElement.scrollWidth") <= PRINTABLE_PX
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('.bulletin table')]"
                           ".map(t => t.getBoundingClientRect().right))")
    assert widest <= PRINTABLE_PX
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1
    context.close()
