"""Pairings on a 360-px phone: the list, the create form, contact cards and attendance fit and pass axe."""
import pytest


@pytest.mark.parametrize("path", ["/pairings/", "/pairings/new", "/pairings/violations", "/pairings/attendance",
                                  "/pairings/attendance/year"])
def test_leader_pairing_pages_fit_a_phone_and_pass_axe(phone, path):
    phone.login("demo-leader")
    phone.goto(path)
    assert phone.page.locator("h1").count() == 1
    assert phone.horizontal_overflow() <= 0, path
    assert phone.axe_violations() == [], path
    assert phone.console_errors == [] and phone.outside == []


def test_the_create_form_searches_and_explains_what_is_missing(phone):
    phone.login("demo-leader")
    phone.goto("/pairings/new")
    page = phone.page
    page.fill("#cadre_q", "王")
    with page.expect_navigation():
        page.locator("#cadre_q + button").click()
    radios = page.locator("input[name=cadre_id]")
    assert radios.count() >= 1
    radios.first.check()
    # changing the kind refreshes the choices (village search) and keeps the picked cadre
    with page.expect_navigation():
        page.select_option("#kind", "link")
    assert "按村名查找" in page.content()
    assert page.locator("input[name=cadre_id]:checked").count() == 1
    with page.expect_navigation():
        page.click("button[value=save]")
    assert "请先搜索并选择村" in page.content()
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    # the form comes back with status 422, which Chromium logs; nothing else may fail
    assert [e for e in phone.console_errors if "422" not in e] == [] and phone.outside == []


def test_a_cadre_prints_their_contact_cards(phone):
    phone.login("demo-cadre")
    phone.goto("/pairings/cards")
    page = phone.page
    cards = page.locator(".contact-card")
    assert cards.count() == 2
    assert page.locator(".contact-card svg.qr-code").count() == 2
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    page.emulate_media(media="print")
    assert not page.locator(".app-nav").is_visible()
    assert not page.locator("[data-print]").is_visible()
    assert not page.locator("footer").is_visible()
    boxes = [cards.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]  # two cards side by side
    assert phone.console_errors == [] and phone.outside == []
