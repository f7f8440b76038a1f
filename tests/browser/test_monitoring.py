"""防返贫 monitoring on a phone: a household reports a difficulty from the poster's QR code, staff
pages fit 360 px and pass axe, the poster and the contact cards print as they should."""
from __future__ import annotations

import re

#: what a finger must be able to hit (WCAG 2.5.5): inputs, selects, buttons, links, radio labels; a link
#: inside a sentence (display: inline) is exempt, as the criterion says
TARGETS = """() => Array.from(document.querySelectorAll(
    'main a[href], main button, main input:not([type=hidden]):not([type=radio]):not([type=checkbox]), main select, main textarea, main label.touch-choice'))
  .filter(e => e.offsetParent !== null && getComputedStyle(e).display !== 'inline')
  .map(e => [e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 12), e.getBoundingClientRect().height])
  .filter(([_, h]) => h < 44)"""


def test_a_household_reports_a_difficulty_on_a_phone_without_signing_in(phone):
    page = phone.page
    phone.goto("/monitoring/report")
    first_village = page.locator("#village optgroup").first.locator("option").first.get_attribute("value")
    phone.goto(f"/monitoring/report?v={first_village}")
    assert page.locator("#village").input_value() == first_village and page.locator("#township").input_value()
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    assert page.evaluate(TARGETS) == []
    page.click("button[type=submit]")  # nothing filled in: every problem beside its field
    assert page.locator("#name-error").is_visible() and page.locator("#difficulty-error").is_visible()
    assert phone.axe_violations() == []
    page.fill("#name", "王秀英")
    page.fill("#phone", "13912345678")
    page.locator("label.touch-choice", has_text="遭了灾").click()
    page.fill("#text", "昨晚下冰雹，大棚全毁了")
    page.click("button[type=submit]")
    page.wait_for_url("**/monitoring/report/done")
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"\d{8}-\d{6}", reference)
    assert "工作日内" in page.content()
    assert phone.axe_violations() == [] and phone.horizontal_overflow() <= 0
    assert [e for e in phone.console_errors if "422" not in e] == [] and phone.outside == []


def test_the_village_list_follows_the_township_chosen(phone):
    page = phone.page
    phone.goto("/monitoring/report")
    townships = page.locator("#township option[value]:not([value=''])")
    assert townships.count() >= 2
    chosen = townships.nth(1).get_attribute("value")
    page.select_option("#township", chosen)
    visible = page.evaluate("""() => Array.from(document.querySelectorAll('#village optgroup'))
        .filter(g => !g.hidden).map(g => g.dataset.township)""")
    assert visible == [chosen]


def _case_and_lead_links(phone):
    phone.goto("/monitoring/?show=cases")
    case = phone.page.locator("a.item-link[href^='/monitoring/cases/']").first.get_attribute("href")
    phone.goto("/monitoring/?show=leads")
    lead = phone.page.locator("a.item-link[href^='/monitoring/leads/']").first.get_attribute("href")
    phone.goto("/monitoring/?show=monitored")
    monitored = phone.page.locator("a.item-link[href^='/monitoring/cases/']").first.get_attribute("href")
    return [case, lead, monitored]


def test_the_monitoring_pages_fit_a_phone_and_pass_axe(phone):
    phone.preload_axe()
    phone.login("demo-admin")
    paths = ["/monitoring/", "/monitoring/?show=leads", "/monitoring/?show=cases", "/monitoring/?show=monitored",
             "/monitoring/?show=closed", "/monitoring/lines", "/monitoring/import", "/monitoring/poster",
             *_case_and_lead_links(phone)]
    problems = [p for path in paths for p in _page_problems(phone, path, touch=True)]
    assert problems == [] and phone.outside == []


def _page_problems(phone, path: str, touch: bool = False) -> list:
    """What is wrong with a page on the phone: its status, sideways scroll, axe violations, and
    with `touch` targets under 44 px and console errors."""
    phone.console_errors.clear()
    response = phone.goto(path)
    if response.status != 200:
        return [(path, response.status)]
    problems = []
    if phone.horizontal_overflow() > 0:
        problems.append((path, "overflow", phone.horizontal_overflow()))
    if violations := phone.axe_violations():
        problems.append((path, violations))
    if touch and (small := phone.page.evaluate(TARGETS)):
        problems.append((path, "small targets", small[:5]))
    if touch and phone.console_errors:
        problems.append((path, phone.console_errors[:2]))
    return problems


def test_a_cadre_records_a_home_check_on_a_phone(phone):
    phone.login("demo-leader")
    page = phone.page
    phone.goto("/monitoring/?show=cases&step=verifying")
    link = page.locator("a.item-link[href^='/monitoring/cases/']").first
    link.click()
    page.wait_for_load_state("networkidle")
    form = page.locator("#home-check")
    assert form.is_visible()
    for name in ("check_food_clothing", "check_education", "check_medical", "check_housing", "check_water"):
        form.locator(f"input[name={name}][value=yes]").check()
    page.fill("#members", "4")
    page.fill("#working_age_members", "9")  # more than the household: explained beside the field
    page.fill("#notes", "入户看了住房和就医票据")
    form.locator("input[name=at_risk][value=yes]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#working_age_members-error").is_visible()
    assert phone.axe_violations() == []
    page.fill("#working_age_members", "2")
    page.locator("#home-check button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#notice").is_visible()  # on to 民主评议与公示
    assert [e for e in phone.console_errors if "422" not in e] == []


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_village_poster_prints_on_one_a4_page(phone):
    phone.login("demo-leader")
    page = phone.page
    phone.goto("/monitoring/poster")
    page.locator("a.item-link").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".poster svg.qr-report-code").count() == 1
    page.emulate_media(media="print")
    assert not page.locator(".app-nav").is_visible() and not page.locator("[data-print]").is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert _pdf_pages(pdf) == 1


def test_contact_cards_keep_both_codes_inside_the_card_when_printed(phone):
    phone.login("demo-cadre")
    page = phone.page
    phone.goto("/pairings/cards")
    assert page.locator(".contact-card svg.qr-report-code").count() == 2
    page.set_viewport_size({"width": 718, "height": 1047})  # the printable width of A4 at 96 dpi
    page.emulate_media(media="print")
    clipped = page.evaluate("""() => Array.from(document.querySelectorAll('.contact-card')).map(card => {
        const box = card.getBoundingClientRect();
        return Array.from(card.querySelectorAll('svg, p, dd')).some(e => e.getBoundingClientRect().bottom > box.bottom + 0.5);
      })""")
    assert clipped == [False, False]


def test_the_monitoring_views_of_the_map_and_dashboard_fit_a_phone_and_pass_axe(phone):
    phone.preload_axe()
    phone.login("demo-admin")
    page = phone.page
    problems = [p for path in ("/map?colour=monitoring", "/dashboard", "/flags/") for p in _page_problems(phone, path)]
    assert problems == []
    phone.goto("/map?colour=monitoring")
    frame = page.frame_locator("iframe.map-frame")
    frame.locator(".legend-toggle").click()
    legend = frame.locator(".map-legend .legend-body")
    for words in ("有未结案的案件", "只有待受理的线索", "没有"):
        assert words in legend.inner_text()
    phone.goto("/dashboard")
    block = page.locator("#monitoring-figures + .row")
    assert block.locator("a.figure").count() >= 5
    assert [e for e in phone.console_errors if "favicon" not in e] == [] and phone.outside == []
