"""A shared phone: the next user never sees the last one's kept pages or queued visits, and nothing is lost."""
import uuid

from playwright.sync_api import expect

from .test_visit_offline import WAITING_FOR_SIGNAL, fill, kept, open_form, times_on_household_page


def under_service_worker(phone):
    page = phone.page
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps the pages it serves
    page.wait_for_load_state("networkidle")
    for _ in range(50):
        if kept(page, "/"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the home page was never kept")


def sign_out(phone):
    with phone.page.expect_navigation():
        phone.page.evaluate("document.querySelector('form[action=\"/logout\"]').submit()")
    phone.page.wait_for_load_state("networkidle")


def test_signing_out_empties_the_pages_kept_for_offline_use(phone):
    phone.login("demo-cadre")
    under_service_worker(phone)
    page, context = phone.page, phone.page.context
    sign_out(phone)
    for _ in range(50):
        if not kept(page, "/"):
            break
        page.wait_for_timeout(100)
    assert not kept(page, "/")
    context.set_offline(True)
    phone.goto("/")  # the last user's household list is gone from the phone
    expect(page.locator("h1")).to_have_text("没有网络")
    expect(page.locator(".household-link")).to_have_count(0)
    expect(page.locator("#kept-pages .kept-none")).to_be_visible()  # and no link to anything of theirs
    expect(page.locator("#kept-pages .kept-list a")).to_have_count(0)
    assert "demo-cadre" not in page.content()
    context.set_offline(False)


def test_a_queued_visit_stays_with_its_cadre_and_is_sent_at_their_next_sign_in(phone):
    household_id = open_form(phone)
    page, context = phone.page, phone.page.context
    notes = f"共用手机 {uuid.uuid4().hex[:8]}"
    fill(page, notes)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    context.clear_cookies()  # the cadre's session ends; the visit is still waiting on the phone
    context.set_offline(False)
    expect(page.locator("#sync-status .sync-login")).to_be_visible(timeout=20_000)

    phone.login("demo-leader")  # someone else signs in on the same phone
    expect(page.locator("#sync-status")).to_have_attribute("data-pending", "0", timeout=20_000)
    expect(page.locator("#sync-status")).to_be_hidden()
    phone.goto("/visits/queue")
    expect(page.locator(".queue-state")).to_have_text("这台手机上没有待上传的走访。")
    expect(page.locator(".queue-item")).to_have_count(0)
    assert notes not in page.content()
    assert times_on_household_page(phone, household_id, notes) == 0  # not sent under the leader's name
    sign_out(phone)

    phone.login("demo-cadre")
    expect(page.locator("#sync-status .sync-count")).to_have_text("已上传 1 条走访。", timeout=20_000)
    assert times_on_household_page(phone, household_id, notes) == 1
