"""A day's work on one phone without losing a visit (issue 13): the browser is asked to keep the
queue, signing out with unsent visits warns and keeps them, unsent visits go to a file and come
back from it (on a phone whose storage was cleared) exactly once, and a browser without service
workers (iOS in-app browsers such as WeChat's) still keeps the visit and says what it cannot do."""
from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, Watched
from .test_visit_offline import fill, open_form, times_on_household_page
from .test_visit_queue import stored

WAITING_FOR_SIGNAL = "没有信号：1 条走访保存在手机上，有信号时自动上传。"


def queue_offline(phone, notes) -> str:
    """Record one visit on the open form without a signal; its client_uuid."""
    page = phone.page
    client_uuid = page.input_value("#client_uuid")
    fill(page, notes)
    page.context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    return client_uuid


def refuse_sends(page):
    """The server is reachable but every send fails (503): the visits stay on the phone."""
    page.context.route("**/api/v1/visits", lambda route: route.fulfill(status=503, body="busy")
                       if route.request.method == "POST" else route.fallback())


def test_the_phone_is_asked_to_keep_the_queue_through_a_shortage_of_space(phone):
    phone.page.context.add_init_script(script="""
        if (navigator.storage) {
            const ask = navigator.storage.persist.bind(navigator.storage);
            navigator.storage.persist = () => { window.persistAsked = (window.persistAsked || 0) + 1; return ask(); };
        }""")
    phone.login("demo-cadre")
    page = phone.page
    for _ in range(50):
        if page.evaluate("window.persistAsked || 0"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.persistAsked") >= 1
    phone.goto("/visits/queue")
    expect(page.locator(".queue-persist")).to_be_visible()
    granted = page.evaluate("navigator.storage.persisted()")
    expect(page.locator(".queue-persist")).to_have_text(
        "这台手机已同意长期保存这些走访，不会因为空间不足而自动清除。" if granted
        else "这台手机可能在空间不足时清除还没上传的走访，请及时保存到文件。")


def test_signing_out_with_unsent_visits_warns_and_keeps_them(phone, live_app):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"退出前没上传 {uuid.uuid4().hex[:8]}"
    client_uuid = queue_offline(phone, notes)
    refuse_sends(page)
    context.set_offline(False)
    phone.open_menu()
    page.get_by_role("button", name="退出").click()
    dialog = page.locator("#logout-dialog")
    # shown once the phone's queue is read (IndexedDB): on a machine loaded with the other test
    # processes that read alone was seen to take more than the default 5 s
    expect(dialog).to_be_visible(timeout=20_000)
    expect(dialog.locator(".logout-count")).to_have_text("1 条走访还没有上传。")
    assert phone.axe_violations() == []
    dialog.get_by_role("button", name="不退出").click()
    expect(dialog).to_be_hidden()
    assert "/login" not in page.url  # still signed in
    page.get_by_role("button", name="退出").click()
    dialog.get_by_role("button", name="留在手机上，退出").click()
    page.wait_for_url("**/login")
    assert stored(live_app, client_uuid) == 0
    context.unroute("**/api/v1/visits")
    phone.login("demo-cadre")  # the next sign-in on this phone sends it
    expect(page.locator("#sync-status .sync-count")).to_have_text("已上传 1 条走访。", timeout=20_000)
    assert stored(live_app, client_uuid) == 1
    assert times_on_household_page(phone, household_id, notes) == 1


def test_signing_out_with_nothing_waiting_asks_nothing(phone):
    phone.login("demo-cadre")
    page = phone.page
    phone.open_menu()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")
    expect(page.locator("#logout-dialog")).to_have_count(0)


@pytest.fixture
def saved_file(phone, tmp_path, live_app):
    """Two unsent visits (one with a photo) saved to a file from the queue page."""
    open_form(phone)
    page = phone.page
    first = queue_offline(phone, f"存进文件一 {uuid.uuid4().hex[:8]}")
    refuse_sends(page)
    page.context.set_offline(False)
    page.goto(phone.base + "/")
    second_form = page.locator('a[href^="/visits/new?household_id="]').nth(1).get_attribute("href")
    page.goto(phone.base + second_form)
    second = page.input_value("#client_uuid")
    page.fill("#notes", f"存进文件二 {uuid.uuid4().hex[:8]}")
    page.click("label[for=kind-routine]")
    page.click("#save-visit")
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "2", timeout=10_000)
    phone.goto("/visits/queue")
    expect(page.locator(".queue-item")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_role("button", name="把待上传的走访保存到文件").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    expect(page.locator(".queue-file-result")).to_contain_text("已保存 2 条走访到文件")
    assert path.name.startswith("relief-走访-demo-cadre-") and path.suffix == ".json"
    assert stored(live_app, first) == 0 and stored(live_app, second) == 0
    return path, (first, second)


def fresh_phone(browser, live_server):
    context = browser.new_context(**PHONE)
    return Watched(context.new_page(), live_server)


def test_visits_saved_to_a_file_are_sent_again_from_it_on_a_cleared_phone_exactly_once(saved_file, browser,
                                                                                      live_server, live_app):
    path, uuids = saved_file
    content = json.loads(path.read_text())
    assert [v["id"] for v in content["visits"]] and sum(len(v["photos"]) for v in content["visits"]) == 1
    other = fresh_phone(browser, live_server)  # the phone's storage was cleared: nothing is left in it
    try:
        other.login("demo-cadre")
        other.goto("/visits/queue")
        page = other.page
        expect(page.locator(".queue-state")).to_have_text("这台手机上没有待上传的走访。")
        answers = []
        page.on("response", lambda r: r.url.endswith("/api/v1/visits") and answers.append(r.status))
        page.set_input_files("#queue-file", str(path))
        expect(page.locator(".queue-file-result")).to_have_text("文件里有 2 条走访，已放入待上传。")
        expect(page.locator(".queue-item[data-state=sent]")).to_have_count(2, timeout=20_000)
        assert [stored(live_app, u) for u in uuids] == [1, 1] and sorted(answers) == [201, 201]
        views = page.locator(".queue-item[data-state=sent] a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        page.set_input_files("#queue-file", str(path))  # the same file again: nothing stored twice
        expect(page.locator(".queue-file-result")).to_have_text("文件里有 2 条走访，已放入待上传。")
        for _ in range(100):
            if len(answers) == 4:
                break
            page.wait_for_timeout(100)
        assert answers[2:] == [200, 200]  # the server knew them by their client_uuid
        expect(page.locator(".queue-item[data-state=sent]")).to_have_count(2)
        assert [stored(live_app, u) for u in uuids] == [1, 1]
        photos = 0
        for href in views:  # the photo came back from the file too
            other.goto(href)
            photos += page.locator(".visit-photos img").count()
        assert photos == 1
    finally:
        other.page.context.close()


def test_a_file_of_another_account_or_not_ours_is_refused_with_the_reason(saved_file, browser, live_server,
                                                                           tmp_path):
    path, _ = saved_file
    other = fresh_phone(browser, live_server)
    try:
        other.login("demo-leader")
        other.goto("/visits/queue")
        page = other.page
        page.set_input_files("#queue-file", str(path))
        expect(page.locator(".queue-file-result")).to_have_text("这个文件是账号 demo-cadre 保存的，请用那个账号登录后再上传。")
        junk = tmp_path / "notes.json"
        junk.write_text('{"hello": 1}')
        page.set_input_files("#queue-file", str(junk))
        expect(page.locator(".queue-file-result")).to_have_text(
            "这个文件不是本系统保存的走访文件，请选择以 relief-走访 开头的文件。")
        expect(page.locator(".queue-item")).to_have_count(0)
    finally:
        other.page.context.close()


def test_without_service_workers_the_form_still_keeps_the_visit_and_says_pages_need_a_signal(browser, live_server,
                                                                                          live_app):
    context = browser.new_context(**PHONE, service_workers="block")  # like WeChat's browser on an iPhone
    phone = Watched(context.new_page(), live_server)
    try:
        household_id = open_form(phone)
        page = phone.page
        notes = f"微信里离线 {uuid.uuid4().hex[:8]}"
        client_uuid = queue_offline(phone, notes)
        status = page.locator("#form-status")
        expect(status).to_contain_text("走访已保存在手机上，还没上传")
        expect(status).to_contain_text("这个浏览器（如 iPhone 上的微信、钉钉）不能在没有信号时打开页面")
        expect(status.locator("a")).to_have_count(0)  # no link that would need a signal
        context.set_offline(False)
        expect(page.locator("#sync-status .sync-count")).to_have_text("已上传 1 条走访。", timeout=20_000)
        assert stored(live_app, client_uuid) == 1
        phone.goto("/visits/queue")
        expect(page.locator(".queue-no-sw")).to_contain_text("页面本身需要信号才能打开")
        assert times_on_household_page(phone, household_id, notes) == 1
    finally:
        context.close()
