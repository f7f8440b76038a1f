"""便民联系卡: the cadre's name, unit and phone, a QR code that dials it, printable on A4."""
import re
from datetime import date

import pytest
import segno

from relief.models import PairingKind, Role

PHONE = "13712345678"


@pytest.fixture
def cards(f):
    t, other = f.township("一镇"), f.township("二镇")
    v, v_out = f.village(t, "甲村"), f.village(other, "乙村")
    c = f.cadre("王帮扶", unit=f.unit("区农业农村局"), phone=PHONE)
    c2 = f.cadre("李帮扶", phone="13787654321")
    w = dict(
        mine=f.pairing(c, f.household(v, "张大爷")),
        mine2=f.pairing(c, f.household(v, "赵大妈")),
        other=f.pairing(c2, f.household(v, "钱大叔")),
        ended=f.pairing(c2, f.household(v, "孙已结束"), ended_on=date(2025, 1, 1)),
        link=f.pairing(c, village=v, kind=PairingKind.LINK),
        outside=f.pairing(c2, f.household(v_out, "外镇户")),
        v=v, v_out=v_out)
    f.user("cadre", Role.CADRE, cadre=c)
    f.user("leader", Role.LEADER, township=t)
    f.user("admin", Role.ADMIN)
    f.user("inspector", Role.INSPECTOR)
    f.commit()
    return w


def qr_path(phone: str) -> str:
    """The drawing of the QR code for tel:PHONE, made by segno independently of the app."""
    svg = segno.make(f"tel:{phone}", error="m", micro=False).svg_inline(scale=1, border=2)
    return re.search(r' d="([^"]+)"', svg).group(1)


def test_a_cadre_prints_their_own_card_with_a_qr_that_dials_them(client, auth, cards):
    auth.login("cadre")
    r = client.get(f"/pairings/{cards['mine'].id}/card")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "便民联系卡" in html and "王帮扶" in html and "区农业农村局" in html and "张大爷（一镇甲村）" in html
    assert f'href="tel:{PHONE}"' in html and f">{PHONE}<" in html
    assert qr_path(PHONE) in html
    assert qr_path("13787654321") not in html
    assert f'aria-label="扫码拨打 {PHONE}"' in html
    assert "<script>" not in html and "onclick" not in html


def test_a_cadre_prints_all_their_cards_at_once(client, auth, cards):
    auth.login("cadre")
    html = client.get("/pairings/cards").get_data(as_text=True)
    assert html.count('class="contact-card"') == 2 and "张大爷" in html and "赵大妈" in html and "钱大叔" not in html
    assert "/pairings/cards" in client.get("/").get_data(as_text=True)


def test_a_cadre_cannot_print_someone_elses_card(client, auth, cards):
    auth.login("cadre")
    assert client.get(f"/pairings/{cards['other'].id}/card").status_code == 404
    html = client.get(f"/pairings/cards?village={cards['v'].id}").get_data(as_text=True)
    assert "钱大叔" not in html and html.count('class="contact-card"') == 2


def test_a_leader_prints_a_village_batch_of_active_household_pairings(client, auth, cards):
    auth.login("leader")
    html = client.get(f"/pairings/cards?village={cards['v'].id}").get_data(as_text=True)
    assert html.count('class="contact-card"') == 3
    assert "张大爷" in html and "赵大妈" in html and "钱大叔" in html and "孙已结束" not in html
    assert qr_path(PHONE) in html and qr_path("13787654321") in html
    assert "一镇甲村 · 共 3 张" in html


def test_a_leader_cannot_print_outside_the_township(client, auth, cards):
    auth.login("leader")
    assert client.get(f"/pairings/cards?village={cards['v_out'].id}").status_code == 404
    assert client.get(f"/pairings/{cards['outside'].id}/card").status_code == 404


def test_only_active_household_pairings_have_a_card(client, auth, cards):
    auth.login("admin")
    assert client.get(f"/pairings/{cards['ended'].id}/card").status_code == 404
    assert client.get(f"/pairings/{cards['link'].id}/card").status_code == 404
    assert client.get(f"/pairings/{cards['outside'].id}/card").status_code == 200


def test_the_district_chooses_a_village_first(client, auth, cards):
    auth.login("admin")
    r = client.get("/pairings/cards")
    assert r.status_code == 302 and "/pairings/" in r.headers["Location"]
    list_page = client.get(f"/pairings/?village={cards['v'].id}").get_data(as_text=True)
    assert f"/pairings/cards?village={cards['v'].id}" in list_page


def test_the_inspector_may_print_too(client, auth, cards):
    auth.login("inspector")
    assert client.get(f"/pairings/{cards['mine'].id}/card").status_code == 200


def test_the_card_page_has_print_css_for_a4_without_navigation(client, auth, cards):
    auth.login("cadre")
    html = client.get(f"/pairings/{cards['mine'].id}/card").get_data(as_text=True)
    assert re.search(r"/static/css/pairings\.[0-9a-f]{12}\.css", html) and "data-print" in html
    css = client.get("/static/css/pairings.css").get_data(as_text=True)
    print_rules = css[css.index("@media print"):]
    assert "@page" in print_rules and "size: A4" in print_rules
    assert "grid-template-columns: repeat(2, 1fr)" in print_rules and ".contact-card" in print_rules
    app_css = client.get("/static/css/app.css").get_data(as_text=True)
    assert re.search(r"@media print\s*{[^}]*\.app-nav[^}]*display: none", app_css)
