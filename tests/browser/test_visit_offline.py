"""A cadre on a phone records visits, with and without a signal; each arrives exactly once."""
import re
import uuid

from playwright.sync_api import expect

from tests.visit_support import jpeg


def open_form(phone):
    phone.login("demo-cadre")
    href = phone.page.locator('a[href^="/visits/new?household_id="]').first.get_attribute("href")
    phone.goto(href)
    phone.page.wait_for_load_state("networkidle")
    return href.rsplit("=", 1)[1]


def fill(page, notes):
    page.fill("#notes", notes)
    page.click("label[for=kind-routine]")
    page.fill("#demand_text_0", "想要小额贷款")
    page.set_input_files("#photos", files=[{"name": "shot.jpg", "mimeType": "image/jpeg", "buffer": jpeg(2400, 1800)}])
    expect(page.locator("#photo-previews img")).to_have_count(1)


def times_on_household_page(phone, household_id, notes):
    phone.goto(f"/households/{household_id}")
    return phone.page.content().count(notes)


def test_a_visit_saved_offline_is_queued_then_sent_once_when_the_signal_returns(phone):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"离线走访 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text("待同步：1 条走访")
    expect(page.locator("#form-status")).to_contain_text("待同步")
    context.set_offline(False)
    expect(page.locator("#sync-status")).to_be_hidden(timeout=20_000)
    assert times_on_household_page(phone, household_id, notes) == 1
    phone.page.reload()  # another page load syncs again: still exactly one
    assert times_on_household_page(phone, household_id, notes) == 1
    page.locator(".timeline li", has_text=notes).locator("a").click()  # the photo queued as a Blob arrived
    expect(page.locator(".visit-photos img")).to_have_count(1)
    assert "想要小额贷款" in page.locator("main").inner_text()
    assert phone.outside == []


def test_the_queue_survives_a_closed_tab_and_is_sent_on_the_next_page_load(phone):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"关掉页面 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text("待同步：1 条走访")
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(phone.base + "/")
    expect(again.locator("#sync-status")).to_have_attribute("data-pending", "0", timeout=20_000)
    expect(again.locator("#sync-status")).to_be_hidden()
    again.goto(phone.base + f"/households/{household_id}")
    assert again.content().count(notes) == 1


def test_an_expired_session_keeps_the_queue_and_asks_to_sign_in(phone):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"登录过期 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text("待同步：1 条走访")
    context.clear_cookies()  # the session ends while the phone is out of signal
    context.set_offline(False)
    expect(page.locator("#sync-status .sync-login")).to_be_visible(timeout=20_000)
    expect(page.locator("#sync-status .sync-count")).to_have_text("待同步：1 条走访")
    phone.login("demo-cadre")
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "0", timeout=20_000)
    expect(page.locator("#sync-status")).to_be_hidden()
    assert times_on_household_page(phone, household_id, notes) == 1


def test_a_stale_csrf_token_keeps_the_queue_until_a_fresh_page(phone):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"令牌过期 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text("待同步：1 条走访")
    page.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale'")
    context.set_offline(False)
    expect(page.locator("#sync-status .sync-login")).to_be_visible(timeout=20_000)
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "1")
    phone.goto("/")
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "0", timeout=20_000)
    assert times_on_household_page(phone, household_id, notes) == 1


def test_online_with_location_the_visit_opens_with_its_photo_demand_and_position(phone):
    phone.page.context.grant_permissions(["geolocation"], origin=phone.base)
    phone.page.context.set_geolocation({"latitude": 33.95123, "longitude": 118.33456, "accuracy": 12})
    open_form(phone)
    page = phone.page
    expect(page.locator("#location-status")).to_contain_text("已定位，精度约 12 米")
    notes = f"在线走访 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    page.click("#save-visit")
    page.wait_for_url(re.compile(r"/visits/\d+\?saved=1"))
    body = page.locator("main").inner_text()
    assert "走访已保存" in body and notes in body and "想要小额贷款" in body and "33.95123, 118.33456" in body
    img = page.locator(".visit-photos img")
    expect(img).to_have_count(1)
    img.scroll_into_view_if_needed()
    # not wait_for_function: it evaluates a string in the page, which the CSP (no 'unsafe-eval') forbids
    expect(img).to_have_js_property("naturalWidth", 1600)
    assert phone.console_errors == []


def test_bad_input_is_explained_next_to_the_field(phone):
    open_form(phone)
    page = phone.page
    page.fill("#notes", "期限写错了")
    page.click("label[for=kind-routine]")
    page.fill("#demand_text_0", "修水渠")
    page.fill("#demand_deadline_0", "2001-01-01")
    page.click("#save-visit")
    expect(page.locator('[data-errors-prefix="demands."]')).to_have_text("第 1 条诉求：办结期限不能早于走访日期")
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#sync-status")).to_be_hidden()  # nothing was stored, nothing is queued
    page.fill("#demand_deadline_0", "")
    page.click("#save-visit")
    page.wait_for_url(re.compile(r"/visits/\d+\?saved=1"))


def test_visit_form_and_demands_list_fit_a_phone_and_pass_the_accessibility_check(phone):
    open_form(phone)
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    for path in ("/demands/", "/demands/?show=all", "/visits/holidays"):
        phone.goto(path)
        assert phone.horizontal_overflow() <= 0, path
        assert phone.axe_violations() == [], path
    phone.goto("/demands/?show=all")
    phone.page.locator(".demand-link").first.click()
    phone.page.wait_for_load_state("networkidle")
    assert "/demands/" in phone.page.url
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    assert phone.console_errors == [] and phone.outside == []


def kept(page, url) -> bool:
    return page.evaluate("u => caches.open('relief-pages').then(c => c.match(u)).then(r => !!r)", url)


def test_without_a_signal_the_home_and_the_visit_form_open_from_the_phone(phone):
    phone.login("demo-cadre")
    page, context = phone.page, phone.page.context
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker's control, which keeps the pages it serves
    page.wait_for_load_state("networkidle")
    href = page.locator('a[href^="/visits/new?household_id="]').first.get_attribute("href")
    for _ in range(50):
        if kept(page, "/") and kept(page, href):
            break
        page.wait_for_timeout(100)
    context.set_offline(True)
    phone.goto("/")
    expect(page.locator(".household-link")).to_have_count(2)
    phone.goto(href)
    notes = f"无信号打开 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text("待同步：1 条走访")
    phone.goto("/households/999999")  # never opened: the offline page says so
    expect(page.locator("h1")).to_have_text("没有网络")
    context.set_offline(False)
    phone.goto("/")
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "0", timeout=20_000)
    assert times_on_household_page(phone, href.rsplit("=", 1)[1], notes) == 1
