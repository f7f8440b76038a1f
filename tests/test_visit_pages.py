"""The visit form, a visit's page, its photos, the edit window, cadence badges and holiday coverage."""
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from relief.dates import today
from relief.extensions import db
from relief.reports.holidays import window
from relief.models import AuditEvent, PairingKind, Role, Visit, VisitKind, VisitPhoto, utcnow

from .conftest import csrf_token
from .visit_support import form, jpeg, paired


def test_the_form_offers_the_five_kinds_today_and_the_camera(client, me):
    html = client.get(f"/visits/new?household_id={me.household.id}").get_data(as_text=True)
    for label in ("日常走访", "春节慰问", "中秋慰问", "驻点调研", "电话联系"):
        assert label in html
    assert f'value="{today().isoformat()}"' in html and f'max="{today().isoformat()}"' in html
    assert f'min="{me.pairing.started_on.isoformat()}"' in html
    assert 'accept="image/*"' in html and "capture=" in html
    assert "王大伯" in html


def test_the_form_is_only_for_the_cadres_own_households(client, f, me):
    stranger = f.household()
    f.commit()
    assert client.get(f"/visits/new?household_id={stranger.id}").status_code == 404
    assert client.get("/visits/new").status_code == 404
    assert client.get(f"/visits/new?village_id={me.village.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN, Role.INSPECTOR])
def test_only_cadres_open_the_form(client, auth, f, role):
    h = f.household()
    f.user("boss", role)
    f.commit()
    auth.login("boss")
    assert client.get(f"/visits/new?household_id={h.id}").status_code == 403


def test_a_visit_saved_from_the_form_with_a_demand_and_a_photo(client, me):
    path = f"/visits/new?household_id={me.household.id}"
    r = form(client, path, notes="屋顶漏雨", aid_yuan="300", lat="33.95", lng="118.33", accuracy_m="15",
             demand_text=["修屋顶", ""], demand_deadline=["", ""],
             photos=(io.BytesIO(jpeg(3000, 2000)), "camera.jpg"))
    assert r.status_code == 302
    page = client.get(r.location).get_data(as_text=True)
    assert "走访已保存" in page and "屋顶漏雨" in page and "修屋顶" in page and "300 元" in page
    visit = db.session.scalar(sa.select(Visit))
    assert visit.aid_yuan == 300 and visit.accuracy_m == 15 and len(visit.photos) == 1
    assert visit.demands[0].deadline == today() + timedelta(days=30)


def test_a_resubmitted_form_does_not_duplicate(client, me):
    path = f"/visits/new?household_id={me.household.id}"
    fields = {"client_uuid": "5b0e8d8e-8d3e-4c53-9d3a-1b7f0f6f0a11"}
    assert form(client, path, **fields).status_code == 302
    again = form(client, path, **fields)
    assert again.status_code == 302 and "没有重复记录" in client.get(again.location).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1


def test_bad_input_keeps_what_was_typed_and_says_what_to_fix(client, me):
    path = f"/visits/new?household_id={me.household.id}"
    r = form(client, path, notes="记下的内容", visited_on=(today() + timedelta(days=2)).isoformat(), aid_yuan="-1")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "走访日期不能晚于今天" in html and "帮扶资金应为不小于 0 的整数" in html and "记下的内容" in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_a_photo_is_stripped_of_exif_turned_upright_and_downscaled(client, me):
    path = f"/visits/new?household_id={me.household.id}"
    original = jpeg(4000, 3000, orientation=6)  # a phone held upright: pixels stored sideways
    assert b"SpyCam" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    r = form(client, path, photos=(io.BytesIO(original), "IMG_0001.jpg"))
    assert r.status_code == 302
    photo = db.session.scalar(sa.select(VisitPhoto))
    served = client.get(f"/visits/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    img = Image.open(io.BytesIO(served.data))
    assert (img.width, img.height) == (1200, 1600) == (photo.width, photo.height)
    assert len(img.getexif()) == 0 and b"SpyCam" not in served.data and b"Exif" not in served.data
    assert len(served.data) < len(original) / 2


def test_oversized_and_broken_photos_are_refused_with_a_message(client, app, me):
    app.config["VISIT_PHOTO_MAX_BYTES"] = 50_000
    path = f"/visits/new?household_id={me.household.id}"
    big = form(client, path, photos=(io.BytesIO(jpeg(2000, 2000) + b"\0" * 60_000), "big.jpg"))
    assert big.status_code == 422 and "照片太大" in big.get_data(as_text=True)
    broken = form(client, path, photos=(io.BytesIO(b"this is not a picture"), "x.jpg"))
    assert broken.status_code == 422 and "无法识别这张照片" in broken.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_photos_and_visits_are_only_shown_to_those_who_may_see_them(client, auth, f):
    me = paired(f, "cad")
    visit = f.visit(me.cadre, me.household)
    visit.photos.append(VisitPhoto(width=1, height=1, data=b"jpeg"))
    paired(f, "other")
    f.user("near", Role.LEADER, township=me.household.township)
    f.user("far", Role.LEADER)
    f.commit()
    photo_id = visit.photos[0].id
    for username, code in (("other", 404), ("far", 404), ("near", 200), ("cad", 200)):
        auth.login(username)
        assert client.get(f"/visits/photos/{photo_id}").status_code == code, username
        assert client.get(f"/visits/{visit.id}").status_code == code, username
        auth.logout()


def test_a_cadre_edits_their_visit_within_seven_days_and_it_is_audited(client, f, me):
    visit = f.visit(me.cadre, me.household, notes="初稿")
    f.commit()
    path = f"/visits/{visit.id}/edit"
    assert "修改这次走访" in client.get(f"/visits/{visit.id}").get_data(as_text=True)
    r = client.post(path, data={"csrf_token": csrf_token(client, path), "visited_on": visit.visited_on.isoformat(),
                                "kind": "phone", "notes": "改过的内容", "aid_yuan": "50"})
    assert r.status_code == 302
    db.session.refresh(visit)
    assert visit.notes == "改过的内容" and visit.kind is VisitKind.PHONE and visit.updated_by_id == me.user.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "visit", AuditEvent.action == "update"))
    assert event.changes["notes"] == ["初稿", "改过的内容"] and event.username == "cad"


def test_after_seven_days_only_an_admin_may_edit(client, auth, f, me):
    visit = f.visit(me.cadre, me.household, recorded_at=utcnow() - timedelta(days=7, minutes=1))
    fresh = f.visit(me.cadre, me.household, recorded_at=utcnow() - timedelta(days=6, hours=23))
    f.user("admin", Role.ADMIN)
    f.user("leader", Role.LEADER, township=me.household.township)
    f.commit()
    assert client.get(f"/visits/{visit.id}/edit").status_code == 403
    assert "修改这次走访" not in client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert client.get(f"/visits/{fresh.id}/edit").status_code == 200
    auth.logout()
    auth.login("leader")
    assert client.get(f"/visits/{fresh.id}/edit").status_code == 403
    auth.logout()
    auth.login("admin")
    path = f"/visits/{visit.id}/edit"
    r = client.post(path, data={"csrf_token": csrf_token(client, path), "visited_on": visit.visited_on.isoformat(),
                                "kind": "routine", "notes": "管理员更正", "aid_yuan": "0"})
    assert r.status_code == 302 and db.session.get(Visit, visit.id).notes == "管理员更正"


def test_an_edit_cannot_move_the_date_into_the_future_or_before_the_pairing(client, f, me):
    visit = f.visit(me.cadre, me.household)
    f.commit()
    path = f"/visits/{visit.id}/edit"
    for bad, words in (((today() + timedelta(days=1)).isoformat(), "不能晚于今天"),
                       ((me.pairing.started_on - timedelta(days=1)).isoformat(), "不能早于结对开始日期")):
        r = client.post(path, data={"csrf_token": csrf_token(client, path), "visited_on": bad, "kind": "routine",
                                    "notes": "x", "aid_yuan": "0"})
        assert r.status_code == 422 and words in r.get_data(as_text=True)


def test_the_home_and_household_page_show_who_is_due_and_overdue(client, f, me):
    late = f.household(name="久未走访")
    f.pairing(me.cadre, late, started_on=today() - timedelta(days=200))
    f.visit(me.cadre, late, visited_on=today() - timedelta(days=61))
    f.visit(me.cadre, me.household, visited_on=today() - timedelta(days=31))
    f.commit()
    home = client.get("/").get_data(as_text=True)
    assert "已逾期" in home and "应走访" in home
    assert "已逾期" in client.get(f"/households/{late.id}").get_data(as_text=True)
    assert "应走访" in client.get(f"/households/{me.household.id}").get_data(as_text=True)
    assert f'href="/visits/new?household_id={late.id}"' in home


def test_a_village_visit_form_for_a_stationed_cadre(client, f, me):
    village = f.village(name="驻点村")
    f.pairing(me.cadre, village=village, kind=PairingKind.STATIONED, started_on=today() - timedelta(days=5))
    f.commit()
    html = client.get(f"/visits/new?village_id={village.id}").get_data(as_text=True)
    assert "驻点村" in html


def test_holiday_coverage_by_township_village_and_cadre(client, auth, f):
    year = today().year - 1
    start, end = window("spring_festival", year)
    t = f.township("甲镇")
    v1, v2 = f.village(t, name="东村"), f.village(t, name="西村")
    c1, c2 = f.cadre("张干部"), f.cadre("李干部")
    h1, h2, h3 = f.household(v1), f.household(v1), f.household(v2)
    for cadre, h in ((c1, h1), (c1, h2), (c2, h3)):
        f.pairing(cadre, h, started_on=start - timedelta(days=100))
    f.visit(c1, h1, visited_on=start + timedelta(days=2), kind=VisitKind.SPRING_FESTIVAL)
    f.visit(c2, h3, visited_on=end + timedelta(days=2), kind=VisitKind.SPRING_FESTIVAL)  # too late
    f.user("leader", Role.LEADER, township=t)
    f.user("far", Role.LEADER)
    f.commit()
    auth.login("leader")
    base = f"/visits/holidays?year={year}&kind=spring_festival"
    town = re.sub(r"<[^>]+>", "", client.get(base + "&by=township").get_data(as_text=True))
    assert f"{start.isoformat()} 至 {end.isoformat()}" in town and "结对户 3 户，时段内慰问 1 户" in town
    villages = client.get(base + "&by=village").get_data(as_text=True)
    assert re.search(r"西村.*?0%.*?东村.*?50%", villages, re.S)  # lowest coverage first
    cadres = client.get(base + "&by=cadre").get_data(as_text=True)
    assert "张干部" in cadres and "李干部" in cadres
    auth.logout()
    auth.login("far")
    assert "结对户 0 户" in re.sub(r"<[^>]+>", "", client.get(base).get_data(as_text=True))


def test_the_service_worker_is_served_from_the_root(client):
    r = client.get("/sw.js")
    assert r.status_code == 200 and "javascript" in r.mimetype
    assert r.headers["Cache-Control"] in ("no-cache", "no-store") and "relief-pages" in r.get_data(as_text=True)
    assert client.get("/offline").status_code == 200


def test_pages_carry_the_offline_queue_for_signed_in_users(client, me):
    html = client.get("/").get_data(as_text=True)
    assert 'id="sync-status"' in html and re.search(r"js/offline\.[0-9a-f]{12}\.js", html) and 'name="csrf-token"' in html


def test_the_visit_form_speaks_english_when_chosen(client, me):
    html = client.get(f"/visits/new?household_id={me.household.id}&lang=en").get_data(as_text=True)
    assert "Save visit" in html and "Routine visit" in html and "保存走访" not in html


def test_the_household_timeline_links_the_cadres_own_visits(client, f, me):
    mine = f.visit(me.cadre, me.household, notes="我记的")
    theirs = f.visit(f.cadre(), me.household, notes="前任记的")
    f.commit()
    html = client.get(f"/households/{me.household.id}").get_data(as_text=True)
    assert f'href="/visits/{mine.id}"' in html and f'href="/visits/{theirs.id}"' not in html
