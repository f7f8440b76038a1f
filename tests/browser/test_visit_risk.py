"""发现返贫风险 on a phone: a cadre ticks the risk in the visit form with no signal; the visit and its
risk wait in the phone's queue and, when the signal returns, the lead is in the cadre's
防返贫 queue with the type and the note the cadre gave."""
import uuid

from playwright.sync_api import expect

WAITING_FOR_SIGNAL = "没有信号：1 条走访保存在手机上，有信号时自动上传。"
SENT = "已上传 1 条走访。"


def test_a_risk_ticked_offline_reaches_the_monitoring_queue_when_the_signal_returns(phone):
    phone.preload_axe()
    phone.login("demo-cadre")
    page, context = phone.page, phone.page.context
    href = page.locator('a[href^="/visits/new?household_id="]').first.get_attribute("href")
    phone.goto(href)
    page.wait_for_load_state("networkidle")
    name = page.locator("#visit-form").get_attribute("data-label")
    # the type and the note show only once the risk is ticked
    expect(page.locator("#risk-details")).to_be_hidden()
    page.locator("label[for=risk_found]").click()
    expect(page.locator("#risk-details")).to_be_visible()
    assert page.locator("label[for=risk_found]").bounding_box()["height"] >= 44
    assert phone.axe_violations() == [] and phone.horizontal_overflow() <= 0
    note = f"大棚被冰雹砸毁 {uuid.uuid4().hex[:6]}"
    page.fill("#notes", f"走访发现风险 {uuid.uuid4().hex[:6]}")
    page.click("label[for=kind-routine]")
    page.click("#save-visit")  # no type chosen: asked for beside the select, nothing queued
    expect(page.locator('[data-error-for="risk.type"]')).to_have_text("请选择风险类型")
    page.select_option("#risk_type", "business_failed")
    page.fill("#risk_note", note)
    context.set_offline(True)
    page.click("#save-visit")
    expect(page.locator("#sync-status .sync-count")).to_have_text(WAITING_FOR_SIGNAL)
    queued = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('relief-offline');
        open.onsuccess = () => {
          const db = open.result, all = db.transaction('visits', 'readonly').objectStore('visits').getAll();
          all.onsuccess = () => { db.close(); resolve(all.result.map((i) => i.payload && i.payload.risk)); };
        };
        open.onerror = () => resolve(null);
      })""")
    assert queued == [{"type": "business_failed", "note": note}], queued
    context.set_offline(False)
    expect(page.locator("#sync-status .sync-count")).to_have_text(SENT, timeout=20_000)
    phone.goto("/monitoring/?show=leads&source=visit")
    item = page.locator(".monitor-item", has_text="因产业项目失败").filter(has_text=name)
    expect(item).to_have_count(1)
    item.locator("a.item-link").click()
    expect(page.locator("main")).to_contain_text(note)
    assert [e for e in phone.console_errors if "422" not in e] == [] and phone.outside == []
