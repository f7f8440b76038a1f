"""A cadre on a phone records visits, with and without a signal; each arrives exactly once."""
import re
import uuid

from playwright.sync_api import expect

from tests.visit_support import jpeg

#: what the status box says, in the cadre's words
WAITING_FOR_SIGNAL = "没有信号：1 条走访保存在手机上，有信号时自动上传。"
SENT = "已上传 1 条走访。"
SIGN_IN_AGAIN = "1 条走访保存在手机上，重新登录后自动上传。"


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
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    expect(page.locator("#form-status")).to_contain_text("走访已保存在手机上，还没上传")
    context.set_offline(False)
    expect(page.locator("#sync-status .sync-count")).to_have_text(SENT, timeout=20_000)
    expect(page.locator("#form-status")).to_contain_text("走访已上传到服务器。")
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "0")
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
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(phone.base + "/")
    expect(again.locator("#sync-status")).to_have_attribute("data-pending", "0", timeout=20_000)
    expect(again.locator("#sync-status .sync-count")).to_have_text(SENT)
    again.goto(phone.base + f"/households/{household_id}")
    assert again.content().count(notes) == 1


def test_an_expired_session_keeps_the_queue_and_asks_to_sign_in(phone):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"登录过期 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    context.clear_cookies()  # the session ends while the phone is out of signal
    context.set_offline(False)
    expect(page.locator("#sync-status .sync-login")).to_be_visible(timeout=20_000)
    expect(page.locator("#sync-status .sync-count")).to_have_text(SIGN_IN_AGAIN)
    phone.login("demo-cadre")
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "0", timeout=20_000)
    expect(page.locator("#sync-status .sync-count")).to_have_text(SENT)
    assert times_on_household_page(phone, household_id, notes) == 1


def test_a_stale_csrf_token_keeps_the_queue_until_a_fresh_page(phone):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"令牌过期 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    page.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale'")
    context.set_offline(False)
    expect(page.locator("#sync-status .sync-login")).to_be_visible(timeout=20_000)
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "1")
    phone.goto("/")
    expect(page.locator("#sync-status .sync-count")).to_have_text(SENT, timeout=20_000)
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


def wait_until_kept(page, urls, tries=100):
    for _ in range(tries):
        if all(kept(page, u) for u in urls):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not kept on the phone: {[u for u in urls if not kept(page, u)]}")


def test_after_one_sign_in_the_home_every_visit_form_and_the_queue_open_without_a_signal(phone):
    phone.login("demo-cadre")  # and nothing else: no second visit to any page
    page, context = phone.page, phone.page.context
    forms = page.locator('a[href^="/visits/new?household_id="]').evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert len(forms) == 2
    wait_until_kept(page, ["/", "/visits/queue", *forms])
    context.set_offline(True)
    phone.goto("/")
    expect(page.locator(".household-link")).to_have_count(2)
    for href in forms:
        phone.goto(href)
        expect(page.locator("h1")).to_have_text("记录走访")
        expect(page.locator("#visit-form")).to_be_visible()
    phone.goto("/visits/queue")
    expect(page.locator("h1")).to_have_text("待上传的走访")
    expect(page.locator(".queue-state")).to_have_text("这台手机上没有待上传的走访。")
    phone.goto(forms[0])
    notes = f"无信号打开 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    page.locator("#form-status a", has_text="查看待上传的走访").click()  # kept too: works offline
    expect(page.locator(".queue-item")).to_have_count(1)
    expect(page.locator(".queue-item .queue-item-state")).to_have_text("等待信号")
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    context.set_offline(False)  # the signal is back: sent at once, without a reload
    expect(page.locator(".queue-item .queue-item-state")).to_have_text("已上传", timeout=20_000)
    expect(page.locator(".queue-item a", has_text="查看")).to_be_visible()
    assert times_on_household_page(phone, forms[0].rsplit("=", 1)[1], notes) == 1


def test_offline_every_page_leads_somewhere_that_works_offline(phone):
    phone.login("demo-cadre")
    page, context = phone.page, phone.page.context
    forms = page.locator('a[href^="/visits/new?household_id="]').evaluate_all("as => as.map(a => a.getAttribute('href'))")
    wait_until_kept(page, ["/", "/visits/queue", *forms])
    context.set_offline(True)
    phone.goto("/households/999999")  # never opened: the "no signal" page lists what the phone has kept
    expect(page.locator("h1")).to_have_text("没有网络")
    links = page.locator("#kept-pages .kept-list a")
    expect(links).to_have_count(2 + 2 * len(forms))
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    targets = links.evaluate_all("as => as.map(a => [a.getAttribute('href'), a.textContent])")
    assert ("/", "首页") in [tuple(t) for t in targets] and ("/visits/queue", "待上传的走访") in [tuple(t) for t in targets]
    for href, title in targets:
        phone.goto("/households/999999")
        page.locator("#kept-pages .kept-list").get_by_role("link", name=title, exact=True).click()
        page.wait_for_load_state()
        assert page.url == phone.base + href
        expect(page.locator("h1")).not_to_have_text("没有网络")
    # and from a kept page, a page that was not kept leads back to the list
    phone.goto("/")
    phone.open_menu()
    page.locator(".nav-link", has_text="项目").click()
    expect(page.locator("h1")).to_have_text("没有网络")
    expect(page.locator("#kept-pages .kept-list a").first).to_be_visible()
    context.set_offline(False)
    assert phone.console_errors == [] or all("net::ERR_INTERNET_DISCONNECTED" in e for e in phone.console_errors)
