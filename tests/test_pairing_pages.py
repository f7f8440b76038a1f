"""Pairings management on the web: who may do what, the norms on every path, history kept."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import AuditEvent, HouseholdStatus, Pairing, PairingKind, Role, StationRole

from .conftest import csrf_token


@pytest.fixture
def world(f):
    """Two townships; a leader of the first; households, cadres and a pairing in each."""
    t1, t2 = f.township("一镇"), f.township("二镇")
    v1, v2 = f.village(t1, "甲村", is_weak=True), f.village(t2, "乙村", is_weak=True)
    w = dict(t1=t1, t2=t2, v1=v1, v2=v2,
             h1=f.household(v1, "张一"), h2=f.household(v1, "张二"), h3=f.household(v1, "张三"),
             h_out=f.household(v2, "外镇户"),
             c1=f.cadre("王干部", phone="13711110011"), c2=f.cadre("李干部", phone="13722220022"))
    w["p_in"] = f.pairing(w["c2"], w["h3"], started_on=date(2024, 1, 1))
    w["p_out"] = f.pairing(w["c2"], w["h_out"], started_on=date(2024, 1, 1))
    f.user("admin", Role.ADMIN)
    f.user("leader", Role.LEADER, township=t1)
    f.user("inspector", Role.INSPECTOR)
    f.user("cadre", Role.CADRE, cadre=w["c1"])
    f.commit()
    return w


def post_form(client, path, data, page=None):
    data = {"csrf_token": csrf_token(client, page or path), **data}
    return client.post(path, data=data)


def create(client, **data):
    return post_form(client, "/pairings/new", {"action": "save", "started_on": "2025-01-02", **data})


def active_count(**where) -> int:
    stmt = sa.select(sa.func.count()).select_from(Pairing).where(Pairing.ended_on.is_(None))
    for key, value in where.items():
        stmt = stmt.where(getattr(Pairing, key) == value)
    return db.session.scalar(stmt)


# -- who may do what -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/pairings/", "/pairings/new", "/pairings/violations",
                                  "/pairings/attendance", "/pairings/attendance/year"])
def test_a_cadre_may_not_manage_pairings(client, auth, world, path):
    auth.login("cadre")
    assert client.get(path).status_code == 403


def test_an_inspector_may_look_but_not_write(client, auth, world):
    auth.login("inspector")
    assert 'href="/pairings/"' in client.get("/").get_data(as_text=True)  # in the menu
    assert client.get("/pairings/").status_code == 200
    page = client.get(f"/pairings/{world['p_in'].id}").get_data(as_text=True)
    assert "王干部" not in page and "结束结对" not in page.split("结对历史")[0].split("</h1>")[1]
    assert client.get("/pairings/new").status_code == 403
    token = csrf_token(client, "/pairings/")
    assert client.post("/pairings/new", data={"csrf_token": token, "action": "save", "kind": "household",
                                              "cadre_id": world["c1"].id, "household_id": world["h1"].id,
                                              "started_on": "2025-01-02"}).status_code == 403
    assert client.post(f"/pairings/{world['p_in'].id}/end", data={"csrf_token": token, "ended_on": "2025-02-01",
                                                                  "reason": "x"}).status_code == 403
    assert client.post(f"/pairings/{world['p_in'].id}/transfer",
                       data={"csrf_token": token, "t-cadre_id": world["c1"].id, "t-on": "2025-02-01",
                             "t-reason": "x", "action": "save"}).status_code == 403
    assert active_count() == 2


def test_a_leader_sees_and_lists_only_their_township(client, auth, world):
    auth.login("leader")
    html = client.get("/pairings/").get_data(as_text=True)
    assert "张三" in html and "外镇户" not in html and "共 1 条" in html
    assert client.get(f"/pairings/{world['p_in'].id}").status_code == 200
    assert client.get(f"/pairings/{world['p_out'].id}").status_code == 404


def test_a_leader_cannot_end_transfer_or_create_outside_the_township(client, auth, world):
    auth.login("leader")
    out = world["p_out"].id
    assert post_form(client, f"/pairings/{out}/end", {"ended_on": "2025-02-01", "reason": "调走"},
                     page="/pairings/").status_code == 404
    assert post_form(client, f"/pairings/{out}/transfer",
                     {"t-cadre_id": world["c1"].id, "t-on": "2025-02-01", "t-reason": "调走", "action": "save"},
                     page="/pairings/").status_code == 404
    assert create(client, kind="household", cadre_id=world["c1"].id,
                  household_id=world["h_out"].id).status_code == 404
    assert create(client, kind="link", cadre_id=world["c1"].id, village_id=world["v2"].id).status_code == 404
    assert active_count() == 2 and active_count(cadre_id=world["c1"].id) == 0


# -- create ----------------------------------------------------------------------------------

def test_a_leader_pairs_a_cadre_with_a_household_and_it_is_audited(client, auth, world):
    auth.login("leader")
    r = create(client, kind="household", cadre_id=world["c1"].id, household_id=world["h1"].id)
    assert r.status_code == 302
    p = db.session.scalar(sa.select(Pairing).where(Pairing.cadre_id == world["c1"].id))
    assert p.household_id == world["h1"].id and p.started_on == date(2025, 1, 2) and p.township_id == world["t1"].id
    assert r.headers["Location"].endswith(f"/pairings/{p.id}")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "pairing",
                                                          AuditEvent.username == "leader"))
    assert event.action == "create" and event.changes["household_id"] == [None, world["h1"].id]
    assert "已建立结对" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_the_household_norm_refuses_a_third_household_naming_the_two_held(client, auth, world, f):
    f.pairing(world["c1"], world["h1"])
    f.pairing(world["c1"], world["h2"])
    f.commit()
    auth.login("admin")
    r = create(client, kind="household", cadre_id=world["c1"].id, household_id=world["h3"].id)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "王干部已结对2户" in html and "甲村张一" in html and "甲村张二" in html and "最多结对2户" in html
    assert active_count(cadre_id=world["c1"].id) == 2


def test_the_norm_follows_the_configured_limit(app, client, auth, world, f):
    app.config["MAX_HOUSEHOLDS_PER_CADRE"] = 1
    f.pairing(world["c1"], world["h1"])
    f.commit()
    auth.login("admin")
    r = create(client, kind="household", cadre_id=world["c1"].id, household_id=world["h2"].id)
    assert r.status_code == 422 and "最多结对1户" in r.get_data(as_text=True)


def test_missing_choices_get_messages_saying_what_to_do(client, auth, world):
    auth.login("admin")
    r = create(client, kind="household", started_on="")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "请先搜索并选择帮扶干部" in html and "请先搜索并选择帮扶户" in html and "请填写开始日期" in html
    r = create(client, kind="household", cadre_id=world["c1"].id, household_id=world["h1"].id, started_on="2025/13/40")
    assert "请按“年-月-日”填写日期" in r.get_data(as_text=True)
    future = (today() + timedelta(days=3)).isoformat()
    r = create(client, kind="household", cadre_id=world["c1"].id, household_id=world["h1"].id, started_on=future)
    assert "开始日期不能晚于今天" in r.get_data(as_text=True)
    assert active_count() == 2


def test_stationed_pairings_need_a_role_and_one_stationed_cadre_per_village(client, auth, world):
    auth.login("admin")
    r = create(client, kind="stationed", cadre_id=world["c1"].id, village_id=world["v1"].id)
    assert r.status_code == 422 and "请选择驻村身份" in r.get_data(as_text=True)
    r = create(client, kind="stationed", cadre_id=world["c1"].id, village_id=world["v1"].id, role="first_secretary")
    assert r.status_code == 302
    p = db.session.scalar(sa.select(Pairing).where(Pairing.kind == PairingKind.STATIONED))
    assert p.role is StationRole.FIRST_SECRETARY and p.village_id == world["v1"].id
    r = create(client, kind="stationed", cadre_id=world["c2"].id, village_id=world["v1"].id, role="first_secretary")
    assert r.status_code == 422 and "甲村已有驻村干部王干部" in r.get_data(as_text=True)
    r = create(client, kind="team", cadre_id=world["c2"].id, village_id=world["v1"].id, role="member")
    assert r.status_code == 302


def test_searching_finds_cadres_by_name_or_phone_and_keeps_the_choice(client, auth, world):
    auth.login("leader")
    html = client.get("/pairings/new?cadre_q=王").get_data(as_text=True)
    assert "王干部" in html and "李干部" not in html and "137****0011" in html and "13711110011" not in html
    html = client.get("/pairings/new?cadre_q=22220022").get_data(as_text=True)
    assert "李干部" in html and "王干部" not in html
    # "查找" posts the form: the picked cadre stays checked while households are searched
    r = post_form(client, "/pairings/new", {"action": "search", "kind": "household",
                                            "cadre_id": world["c1"].id, "target_q": "户"})
    html = r.get_data(as_text=True)
    assert re.search(rf'value="{world["c1"].id}"\s+checked', html)
    assert "外镇户" not in html  # the leader finds only their township's households
    assert active_count() == 2


def test_a_violation_link_preselects_the_household(client, auth, world):
    auth.login("admin")
    html = client.get(f"/pairings/new?kind=household&household_id={world['h1'].id}").get_data(as_text=True)
    assert re.search(rf'value="{world["h1"].id}"\s+checked', html) and "张一" in html


# -- end and transfer --------------------------------------------------------------------------

def test_ending_keeps_the_pairing_in_the_history(client, auth, world):
    auth.login("leader")
    pid = world["p_in"].id
    r = post_form(client, f"/pairings/{pid}/end", {"ended_on": "2025-03-01", "reason": "户已稳定脱贫"},
                  page=f"/pairings/{pid}")
    assert r.status_code == 302
    p = db.session.get(Pairing, pid)
    assert p.ended_on == date(2025, 3, 1) and p.end_reason == "户已稳定脱贫"
    assert "张三" not in client.get("/pairings/").get_data(as_text=True)
    ended = client.get("/pairings/?state=ended").get_data(as_text=True)
    assert "张三" in ended and "已结束" in ended
    page = client.get(f"/pairings/{pid}").get_data(as_text=True)
    assert "户已稳定脱贫" in page and "2025-03-01" in page
    assert "2025-03-01" in client.get(f"/households/{world['h3'].id}").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"ended_on": "2025-03-01", "reason": ""}, "请填写结束原因"),
    ({"ended_on": "2023-12-31", "reason": "调走"}, "结束日期不能早于开始日期 2024-01-01"),
    ({"ended_on": "", "reason": "调走"}, "请填写结束日期"),
    ({"ended_on": "2999-01-01", "reason": "调走"}, "结束日期不能晚于今天"),
])
def test_ending_with_bad_input_says_what_to_fix(client, auth, world, data, message):
    auth.login("admin")
    pid = world["p_in"].id
    r = post_form(client, f"/pairings/{pid}/end", data, page=f"/pairings/{pid}")
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.get(Pairing, pid).ended_on is None


def test_transfer_ends_the_old_pairing_and_starts_the_new_one(client, auth, world):
    auth.login("leader")
    pid = world["p_in"].id
    r = post_form(client, f"/pairings/{pid}/transfer",
                  {"t-cadre_id": world["c1"].id, "t-on": "2025-05-01", "t-reason": "工作调动", "action": "save"},
                  page=f"/pairings/{pid}")
    assert r.status_code == 302
    old = db.session.get(Pairing, pid)
    new = db.session.scalar(sa.select(Pairing).where(Pairing.cadre_id == world["c1"].id))
    assert old.ended_on == date(2025, 5, 1) and old.end_reason == "工作调动"
    assert new.household_id == world["h3"].id and new.started_on == date(2025, 5, 1) and new.ended_on is None
    history = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "李干部" in history and "工作调动" in history


def test_a_transfer_to_a_full_cadre_is_refused_and_changes_nothing(client, auth, world, f):
    f.pairing(world["c1"], world["h1"])
    f.pairing(world["c1"], world["h2"])
    f.commit()
    auth.login("admin")
    pid = world["p_in"].id
    r = post_form(client, f"/pairings/{pid}/transfer",
                  {"t-cadre_id": world["c1"].id, "t-on": "2025-05-01", "t-reason": "工作调动", "action": "save"},
                  page=f"/pairings/{pid}")
    assert r.status_code == 422
    assert "王干部已结对2户（甲村张一、甲村张二）" in r.get_data(as_text=True)
    assert db.session.get(Pairing, pid).ended_on is None
    assert active_count(cadre_id=world["c1"].id) == 2


def test_transfer_searches_for_the_next_cadre(client, auth, world):
    auth.login("admin")
    pid = world["p_in"].id
    html = post_form(client, f"/pairings/{pid}/transfer", {"action": "search", "t_q": "干部"},
                     page=f"/pairings/{pid}").get_data(as_text=True)
    assert f'id="t-cadre_id-{world["c1"].id}"' in html
    assert f'id="t-cadre_id-{world["c2"].id}"' not in html  # not to the cadre who holds it now
    assert db.session.get(Pairing, pid).ended_on is None


# -- the list ----------------------------------------------------------------------------------

def test_the_list_filters_by_kind_cadre_and_village_and_pages(client, auth, world, f):
    v3 = f.village(world["t1"], "丙村")
    for i in range(31):
        f.pairing(f.cadre(f"队员{i:02d}"), village=v3, kind=PairingKind.TEAM, role=StationRole.MEMBER)
    f.commit()
    auth.login("leader")
    first = client.get("/pairings/?kind=team").get_data(as_text=True)
    assert "共 31 条" in first and "第 1 / 2 页" in first and "张三" not in first
    assert "共 1 条" in client.get("/pairings/?q=李干部").get_data(as_text=True)
    assert "共 1 条" in client.get("/pairings/?q=22220022").get_data(as_text=True)
    by_village = client.get(f"/pairings/?village={world['v1'].id}").get_data(as_text=True)
    assert "共 1 条" in by_village and "张三" in by_village
