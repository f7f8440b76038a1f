"""The pages a user opens: lists, search, masking, reveal, language."""
import sqlalchemy as sa

from relief.extensions import db
from relief.models import AuditEvent, HouseholdStatus, Role

from .conftest import csrf_token


def test_household_page_masks_id_and_phone(admin_client, f):
    h = f.household(name="王大伯", phone="13812345678")
    f.commit()
    html = admin_client.get(f"/households/{h.id}").get_data(as_text=True)
    assert h.id_number not in html and (h.id_number[:6] + "********" + h.id_number[-4:]) in html
    assert "13812345678" not in html and "138****5678" in html


def test_revealing_an_id_shows_it_once_and_is_audited(admin_client, f):
    h = f.household(name="王大伯")
    f.commit()
    token = csrf_token(admin_client, f"/households/{h.id}")
    html = admin_client.post(f"/households/{h.id}/reveal", data={"csrf_token": token, "field": "id_number"}) \
        .get_data(as_text=True)
    assert h.id_number in html
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reveal"))
    assert event.entity == "household" and event.entity_id == h.id and event.note == "id_number"
    assert h.id_number not in admin_client.get(f"/households/{h.id}").get_data(as_text=True)


def test_a_cadre_may_reveal_the_phone_but_not_the_id_of_their_household(client, auth, f):
    c = f.cadre()
    h = f.household()
    f.pairing(c, h)
    f.user("cad", Role.CADRE, cadre=c)
    f.commit()
    auth.login("cad")
    token = csrf_token(client, f"/households/{h.id}")
    assert client.post(f"/households/{h.id}/reveal", data={"csrf_token": token, "field": "id_number"}).status_code == 403
    assert "13812345678" in client.post(f"/households/{h.id}/reveal",
                                        data={"csrf_token": token, "field": "phone"}).get_data(as_text=True)


def test_household_list_searches_filters_and_pages(admin_client, f, app):
    v1, v2 = f.village(name="甲村"), f.village(name="乙村")
    for i in range(35):
        f.household(v1, name=f"王{i:02d}")
    f.household(v2, name="王乙村户", status=HouseholdStatus.LIFTED)
    f.household(v1, name="李某", status=HouseholdStatus.MONITORED)
    f.commit()
    first = admin_client.get("/households/?q=王").get_data(as_text=True)
    assert "共 36 户" in first and "李某" not in first and "第 1 / 2 页" in first
    second = admin_client.get("/households/?q=王&page=2").get_data(as_text=True)
    assert "王" in second and "第 2 / 2 页" in second
    by_village = admin_client.get(f"/households/?village={v2.id}").get_data(as_text=True)
    assert "王乙村户" in by_village and "王00" not in by_village
    by_status = admin_client.get("/households/?status=monitored").get_data(as_text=True)
    assert "李某" in by_status and "共 1 户" in by_status


def test_search_text_is_not_a_pattern(admin_client, f):
    f.household(name="王大")
    f.commit()
    assert "共 0 户" in admin_client.get("/households/?q=%25").get_data(as_text=True)


def test_english_is_selectable_and_remembered(client, f):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Sign in" in html
    again = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in again


def test_village_and_cadre_pages(admin_client, f):
    v = f.village(name="薄弱村", is_weak=True)
    c = f.cadre(name="赵干部")
    f.pairing(c, village=v)
    f.income(v, 2025, 120_000)
    f.commit()
    html = admin_client.get(f"/villages/{v.id}").get_data(as_text=True)
    assert "薄弱村" in html and "赵干部" in html and "12.0 万元" in html and "80%" in html
    assert "薄弱村" in admin_client.get(f"/cadres/{c.id}").get_data(as_text=True)
    assert "薄弱村" in admin_client.get("/villages/?weak=1").get_data(as_text=True)


def test_admin_creates_a_leader_and_gets_clear_errors(admin_client, f):
    t = f.township("东镇")
    f.commit()
    token = csrf_token(admin_client, "/users/new")
    r = admin_client.post("/users/new", data={"csrf_token": token, "username": "lead", "role": "leader",
                                               "township": "", "password": "一个足够长的密码", "active": "y"})
    assert "乡镇领导必须指定乡镇" in r.get_data(as_text=True)
    r = admin_client.post("/users/new", data={"csrf_token": token, "username": "lead", "role": "leader",
                                               "township": "东镇", "password": "一个足够长的密码", "active": "y"})
    assert r.status_code == 302
    from relief.models import User

    lead = db.session.scalar(sa.select(User).where(User.username == "lead"))
    assert lead.township_id == t.id and lead.must_change_password
