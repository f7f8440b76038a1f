"""The rest of /api/v1: tokens, my households, village progress and the generated OpenAPI document."""
import uuid
from datetime import timedelta

from relief.dates import today
from relief.models import PairingKind, Role

from .conftest import PASSWORD
from .visit_support import bearer, paired


def test_a_token_is_issued_for_a_good_password_and_works(client, f):
    me = paired(f)
    r = client.post("/api/v1/token", json={"username": "cad", "password": PASSWORD})
    assert r.status_code == 200 and r.get_json()["expires_in_days"] == 30
    token = r.get_json()["token"]
    mine = client.get("/api/v1/me/households", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and [h["id"] for h in mine.get_json()] == [me.household.id]


def test_a_bad_password_or_a_missing_field_is_refused_in_chinese(client, f):
    paired(f)
    wrong = client.post("/api/v1/token", json={"username": "cad", "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.get_json()["detail"] == "用户名或密码不正确"
    missing = client.post("/api/v1/token", json={"username": "cad"})
    assert missing.status_code == 422 and missing.get_json()["fields"] == {"password": "请填写密码"}
    as_form = client.post("/api/v1/token", data={"username": "cad", "password": PASSWORD})
    assert as_form.status_code == 422 and "JSON" in as_form.get_json()["fields"]["username"]


def test_token_requests_are_throttled_like_sign_in(app, client, f):
    paired(f)
    app.config["LOGIN_LIMIT_PER_USER"] = "3 per minute"
    codes = [client.post("/api/v1/token", json={"username": "cad", "password": "wrong"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert client.post("/api/v1/token", json={"username": "cad", "password": PASSWORD}).status_code == 429


def test_a_user_who_must_change_the_password_gets_no_token(client, f):
    f.user("fresh", Role.CADRE, must_change_password=True)
    f.commit()
    r = client.post("/api/v1/token", json={"username": "fresh", "password": PASSWORD})
    assert r.status_code == 403 and "修改密码" in r.get_json()["detail"]


def test_my_households_lists_only_active_pairings_with_their_cadence(client, f):
    me = paired(f, name="王大伯")
    other = f.household(name="李大妈")
    f.pairing(me.cadre, other, started_on=today() - timedelta(days=200))
    gone = f.household(name="已结束")
    f.pairing(me.cadre, gone, started_on=today() - timedelta(days=300), ended_on=today() - timedelta(days=10))
    f.visit(me.cadre, me.household, visited_on=today() - timedelta(days=3))
    f.visit(me.cadre, other, visited_on=today() - timedelta(days=45))
    f.household(name="别人的")
    f.commit()
    rows = {h["name"]: h for h in client.get("/api/v1/me/households", headers=bearer(me.user)).get_json()}
    assert set(rows) == {"王大伯", "李大妈"}
    assert rows["王大伯"]["due"] == "ok" and rows["李大妈"]["due"] == "due"
    assert rows["王大伯"]["village"] == me.village.name and rows["王大伯"]["township"] == me.village.township.name
    assert rows["李大妈"]["last_visit"] == (today() - timedelta(days=45)).isoformat()


def test_my_households_shows_a_visit_synced_since_it_was_last_asked(client, f):
    """The answer is kept between syncs; a visit of the cadre's household renews it."""
    me = paired(f, name="王大伯")
    f.pairing(me.cadre, f.household(name="李大妈"), started_on=today() - timedelta(days=200))
    f.commit()
    first = {h["name"]: h for h in client.get("/api/v1/me/households", headers=bearer(me.user)).get_json()}
    assert first["王大伯"]["last_visit"] is None
    sent = {"client_uuid": str(uuid.uuid4()), "household_id": me.household.id, "visited_on": today().isoformat(),
            "kind": "routine", "notes": "走访"}
    assert client.post("/api/v1/visits", json=sent, headers=bearer(me.user)).status_code == 201
    again = {h["name"]: h for h in client.get("/api/v1/me/households", headers=bearer(me.user)).get_json()}
    assert again["王大伯"]["last_visit"] == today().isoformat() and again["王大伯"]["due"] == "ok"
    assert again["李大妈"] == first["李大妈"]


def test_api_calls_without_a_session_or_token_are_401(client):
    r = client.get("/api/v1/me/households")
    assert r.status_code == 401 and r.get_json()["error"] == "请先登录"


def test_village_progress_lists_the_weak_villages_the_caller_may_see(client, f):
    t1, t2 = f.township("甲镇"), f.township("乙镇")
    v1 = f.village(t1, name="东村", is_weak=True)
    v2 = f.village(t2, name="西村", is_weak=True, target_yuan=200_000)
    f.village(t1, name="富村", is_weak=False)
    f.income(v1, 2025, 90_000)
    f.income(v2, 2025, 250_000)
    admin = f.user("admin", Role.ADMIN)
    leader = f.user("leader", Role.LEADER, township=t1)
    f.commit()
    rows = client.get("/api/v1/villages/progress?year=2025", headers=bearer(admin)).get_json()
    assert sorted(rows, key=lambda r: r["id"]) == [
        {"id": v1.id, "name": "东村", "township": "甲镇", "income_yuan": 90_000, "target_yuan": 150_000,
         "progress": 0.6},
        {"id": v2.id, "name": "西村", "township": "乙镇", "income_yuan": 250_000, "target_yuan": 200_000,
         "progress": 1.25},
    ]
    mine = client.get("/api/v1/villages/progress?year=2025", headers=bearer(leader)).get_json()
    assert [v["name"] for v in mine] == ["东村"]
    bad = client.get("/api/v1/villages/progress?year=abc", headers=bearer(admin))
    assert bad.status_code == 422 and "年度应为" in bad.get_json()["fields"]["year"]


def test_a_cadre_sees_the_progress_of_their_linked_village_only(client, f):
    me = paired(f)
    linked, other = f.village(is_weak=True), f.village(is_weak=True)
    f.pairing(me.cadre, village=linked, kind=PairingKind.LINK)
    f.commit()
    rows = client.get("/api/v1/villages/progress", headers=bearer(me.user)).get_json()
    assert [v["id"] for v in rows] == [linked.id] and other.id not in [v["id"] for v in rows]


def test_openapi_is_generated_from_the_models(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/token", "/api/v1/me/households", "/api/v1/visits", "/api/v1/villages/progress"} <= set(doc["paths"])
    visit = doc["paths"]["/api/v1/visits"]["post"]
    assert set(visit["responses"]) >= {"200", "201", "404", "409", "422"}
    schemas = doc["components"]["schemas"]
    assert {"client_uuid", "household_id", "village_id", "visited_on", "kind", "notes", "aid_yuan", "lat", "lng",
            "accuracy_m", "demands"} <= set(schemas["VisitIn"]["properties"])
    assert set(schemas["VisitKind"]["enum"]) == {"routine", "spring_festival", "mid_autumn", "field_stay", "phone"}
    assert set(schemas["VillageProgressOut"]["required"]) >= {"id", "name", "township", "income_yuan",
                                                              "target_yuan", "progress"}
    assert doc["paths"]["/api/v1/token"]["post"]["security"] == []
