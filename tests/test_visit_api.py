"""POST /api/v1/visits as CONTRACT.md says: 201, 200 on a resend, 409, 404, 422 with a message per field."""
import base64
import threading
import uuid
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from relief.dates import today
from relief.extensions import db
from relief.models import AuditEvent, Demand, DemandStatus, PairingKind, Role, Visit
from relief.visits import services

from .conftest import csrf_token
from .visit_support import bearer, body, jpeg, paired


def visits():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Visit))


def test_a_new_visit_is_created_with_server_time_and_demands(client, f):
    me = paired(f)
    sent = body(me.household.id, lat=33.95, lng=118.33, accuracy_m=12.5, recorded_at="2001-01-01T00:00:00",
                demands=[{"text": "想学养鸡技术"}, {"text": "低保复核", "deadline": (today() + timedelta(days=5)).isoformat()}])
    r = client.post("/api/v1/visits", json=sent, headers=bearer(me.user))
    assert r.status_code == 201
    out = r.get_json()
    assert out["client_uuid"] == sent["client_uuid"] and out["household_id"] == me.household.id
    assert out["kind"] == "routine" and out["aid_yuan"] == 200 and out["accuracy_m"] == 12.5
    assert not out["recorded_at"].startswith("2001")  # the server's clock, not the client's
    assert r.headers["Location"] == out["url"] == f"/visits/{out['id']}"
    demands = db.session.scalars(sa.select(Demand).order_by(Demand.id)).all()
    assert [d.text for d in demands] == ["想学养鸡技术", "低保复核"]
    assert demands[0].deadline == today() + timedelta(days=30) and demands[0].owner_id == me.cadre.id
    assert demands[1].deadline == today() + timedelta(days=5) and demands[1].visit_id == out["id"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "visit"))
    assert event.action == "create" and event.username == "cad"


def test_the_same_visit_sent_again_returns_the_stored_one(client, f):
    me = paired(f)
    headers = bearer(me.user)
    sent = body(me.household.id, demands=[{"text": "修路"}])
    first = client.post("/api/v1/visits", json=sent, headers=headers)
    again = client.post("/api/v1/visits", json=sent, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert visits() == 1 and db.session.scalar(sa.select(sa.func.count()).select_from(Demand)) == 1


def test_other_content_under_a_used_client_uuid_is_a_conflict(client, f):
    me = paired(f)
    headers = bearer(me.user)
    sent = body(me.household.id)
    client.post("/api/v1/visits", json=sent, headers=headers)
    r = client.post("/api/v1/visits", json={**sent, "notes": "另一次走访的内容"}, headers=headers)
    assert r.status_code == 409 and "client_uuid" in r.get_json()["detail"]
    assert db.session.scalar(sa.select(Visit.notes)) == sent["notes"]


def test_another_cadres_client_uuid_is_a_conflict_not_a_leak(client, f):
    me, other = paired(f, "a"), paired(f, "b")
    sent = body(me.household.id)
    client.post("/api/v1/visits", json=sent, headers=bearer(me.user))
    r = client.post("/api/v1/visits", json={**sent, "household_id": other.household.id}, headers=bearer(other.user))
    assert r.status_code == 409 and "notes" not in r.get_json()


def test_households_and_villages_outside_the_cadres_pairings_are_404(client, f):
    me = paired(f)
    stranger = f.household()
    ended = f.household()
    f.pairing(me.cadre, ended, started_on=today() - timedelta(days=100), ended_on=today() - timedelta(days=1))
    linked_elsewhere = f.village()
    f.commit()
    headers = bearer(me.user)
    for target in ({"household_id": stranger.id}, {"household_id": ended.id}, {"household_id": 999999},
                   {"village_id": linked_elsewhere.id}, {"village_id": me.village.id}):
        r = client.post("/api/v1/visits", json={**body(), **target}, headers=headers)
        assert r.status_code == 404, target
    assert visits() == 0


def test_a_linked_cadre_records_a_village_visit(client, f):
    me = paired(f)
    village = f.village()
    f.pairing(me.cadre, village=village, kind=PairingKind.STATIONED, started_on=today() - timedelta(days=10))
    f.commit()
    r = client.post("/api/v1/visits", json=body(village_id=village.id, kind="field_stay",
                                                demands=[{"text": "村道硬化"}]), headers=bearer(me.user))
    assert r.status_code == 201
    v = db.session.get(Visit, r.get_json()["id"])
    assert v.household_id is None and v.village_id == village.id and v.township_id == village.township_id
    assert db.session.scalar(sa.select(Demand.village_id)) == village.id


@pytest.mark.parametrize("change, field, words", [
    ({"visited_on": "2024-13-01"}, "visited_on", "走访日期应为日期"),
    ({"visited_on": (today() + timedelta(days=1)).isoformat()}, "visited_on", "不能晚于今天"),
    ({"visited_on": (today() - timedelta(days=91)).isoformat()}, "visited_on", "不能早于结对开始日期"),
    ({"kind": "party"}, "kind", "走访类型应为以下之一"),
    ({"notes": "  "}, "notes", "请填写走访情况"),
    ({"aid_yuan": -5}, "aid_yuan", "帮扶资金应为不小于 0 的整数"),
    ({"aid_yuan": 12.5}, "aid_yuan", "帮扶资金应为不小于 0 的整数"),
    ({"client_uuid": "abc"}, "client_uuid", "UUID"),
    ({"lat": 95, "lng": 118}, "lat", "纬度应为 -90 到 90"),
    ({"lat": 33.9}, "lat", "纬度和经度要同时填写"),
    ({"demands": [{"text": ""}]}, "demands.0.text", "第 1 条诉求：请填写诉求内容"),
    ({"demands": [{"text": "修路", "deadline": (today() - timedelta(days=1)).isoformat()}]},
     "demands.0.deadline", "期限不能早于走访日期"),
    ({"photos": ["not base64!"]}, "photos.0", "第 1 张照片"),
    ({"household_id": None}, "household_id", "household_id"),
])
def test_bad_fields_get_a_chinese_message_each_and_nothing_is_stored(client, f, change, field, words):
    me = paired(f)
    sent = {**body(me.household.id), **change}
    r = client.post("/api/v1/visits", json={k: v for k, v in sent.items() if v is not None}, headers=bearer(me.user))
    assert r.status_code == 422
    fields = r.get_json()["fields"]
    assert words in fields[field], fields
    assert visits() == 0


def test_several_bad_fields_are_reported_together(client, f):
    me = paired(f)
    r = client.post("/api/v1/visits", json={"client_uuid": str(uuid.uuid4()), "household_id": me.household.id},
                    headers=bearer(me.user))
    assert r.status_code == 422
    assert set(r.get_json()["fields"]) == {"visited_on", "kind", "notes"}


def test_a_visit_settles_open_demands_of_the_same_household(client, f):
    me = paired(f)
    open_one = f.demand(me.cadre, me.household, text="屋顶漏雨")
    elsewhere = f.demand(me.cadre, f.household(), text="别人家的")
    f.commit()
    headers = bearer(me.user)
    bad = client.post("/api/v1/visits", json=body(me.household.id, resolved=[{"id": elsewhere.id}]), headers=headers)
    assert bad.status_code == 422 and "不属于" in bad.get_json()["fields"]["resolved.0.id"]
    r = client.post("/api/v1/visits", json=body(me.household.id, resolved=[{"id": open_one.id, "resolution": "已修好"}]),
                    headers=headers)
    assert r.status_code == 201 and r.get_json()["resolved_demand_ids"] == [open_one.id]
    db.session.refresh(open_one)
    assert open_one.status is DemandStatus.RESOLVED and open_one.resolution == "已修好"
    assert open_one.resolved_in_visit_id == r.get_json()["id"] and open_one.resolved_on == today()


def test_photos_travel_as_base64(client, f):
    me = paired(f)
    photo = base64.b64encode(jpeg(800, 600)).decode()
    r = client.post("/api/v1/visits", json=body(me.household.id, photos=[photo, "data:image/jpeg;base64," + photo]),
                    headers=bearer(me.user))
    assert r.status_code == 201
    shots = r.get_json()["photos"]
    assert len(shots) == 2 and shots[0]["width"] == 800
    assert client.get(shots[0]["url"]).status_code == 302  # no session: sent to sign in


def test_only_cadres_record_visits(client, f):
    admin = f.user("admin", Role.ADMIN)
    h = f.household()
    f.commit()
    r = client.post("/api/v1/visits", json=body(h.id), headers=bearer(admin))
    assert r.status_code == 403 and "帮扶干部" in r.get_json()["detail"]


def test_an_unknown_token_is_401(client, f):
    r = client.post("/api/v1/visits", json=body(1), headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.get_json()["code"] == "login"


def test_browser_calls_need_the_csrf_header_bearer_calls_do_not(client, auth, f):
    me = paired(f)
    auth.login("cad")
    no_header = client.post("/api/v1/visits", json=body(me.household.id))
    assert no_header.status_code == 400 and no_header.get_json()["code"] == "csrf"
    token = csrf_token(client, "/")
    ok = client.post("/api/v1/visits", json=body(me.household.id), headers={"X-CSRFToken": token})
    assert ok.status_code == 201
    client.post("/logout", data={"csrf_token": token})
    assert client.post("/api/v1/visits", json=body(me.household.id), headers=bearer(me.user)).status_code == 201
    assert visits() == 2


def test_two_identical_syncs_at_the_same_moment_store_one_visit(app, f, monkeypatch):
    """Both requests pass the client_uuid lookup before either inserts (it is read before the
    write lock, on SQLite too); the unique constraint lets one insert win, and the other reads the
    winner back. One row, one 201 and one 200."""
    me = paired(f)
    headers = bearer(me.user)
    sent = body(me.household.id, demands=[{"text": "修路"}])
    barrier, lookups = threading.Barrier(2), []
    first_reads, by_uuid = services._read_first, services._by_uuid

    def lookup_then_meet(*args):
        used, place = first_reads(*args)
        lookups.append(used)
        if not used:
            try:
                barrier.wait(timeout=2)
            except threading.BrokenBarrierError:
                pass
        return used, place

    def read_back(client_uuid):
        found = by_uuid(client_uuid)
        lookups.append(found is not None)
        return found

    monkeypatch.setattr(services, "_read_first", lookup_then_meet)
    monkeypatch.setattr(services, "_by_uuid", read_back)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/visits"
    answers = []

    def sync():
        answers.append(requests.post(url, json=sent, headers=headers, timeout=30))

    try:
        threads = [threading.Thread(target=sync) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.shutdown()
    db.session.commit()
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert visits() == 1 and db.session.scalar(sa.select(sa.func.count()).select_from(Demand)) == 1
    # both missed the row, both inserted; the loser hit the unique constraint and re-read
    assert lookups == [False, False, True]
