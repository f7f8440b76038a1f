"""The monitoring API of CONTRACT.md: the year's leads (scoped, not for cadres), 风险消除 with a
message per unmet condition, and 发现返贫风险 carried by a (possibly offline) visit."""
import hashlib
import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import LeadSource, MonitorStep, RiskLead, Visit
from relief.monitoring import cases

from .monitoring_support import income, leads_of, line, monitored_case, world
from .visit_support import bearer, body


@pytest.fixture
def w(f):
    w = world(f)
    line(today().year, 6900)
    for h in (w.h1, w.h1b, w.h2):
        income(h, today().year, 5000)
    from relief.monitoring import leads

    leads.scan(today())
    db.session.commit()
    return w


def test_leads_of_the_year_with_their_step_and_due_date(client, w):
    lead = leads_of(w.h1)[0]
    r = client.get(f"/api/v1/monitoring/leads?year={today().year}", headers=bearer(w.admin))
    assert r.status_code == 200
    rows = {row["household_id"]: row for row in r.get_json()}
    assert set(rows) == {w.h1.id, w.h1b.id, w.h2.id}
    assert rows[w.h1.id] == {**rows[w.h1.id], "case_id": None, "source": "income_below_line", "step": "reported",
                             "due_on": lead.due_on.isoformat()}
    case = cases.take_up(lead, w.cadre1, today())
    db.session.commit()
    rows = {row["household_id"]: row for row in client.get("/api/v1/monitoring/leads", headers=bearer(w.admin))
            .get_json()}
    assert rows[w.h1.id]["case_id"] == case.id and rows[w.h1.id]["step"] == "verifying"
    assert client.get(f"/api/v1/monitoring/leads?year={today().year - 1}", headers=bearer(w.admin)).get_json() == []


def test_a_leader_sees_the_township_and_a_cadre_is_refused(client, w):
    rows = client.get("/api/v1/monitoring/leads", headers=bearer(w.leader1)).get_json()
    assert {row["household_id"] for row in rows} == {w.h1.id, w.h1b.id}
    assert len(client.get("/api/v1/monitoring/leads", headers=bearer(w.inspector)).get_json()) == 3
    assert client.get("/api/v1/monitoring/leads", headers=bearer(w.cadre1)).status_code == 403
    assert client.get("/api/v1/monitoring/leads").status_code == 401
    r = client.get("/api/v1/monitoring/leads?year=19999", headers=bearer(w.admin))
    assert r.status_code == 422 and "year" in r.get_json()["fields"]


def test_a_dismissed_lead_reports_dismissed_and_no_due_date(client, w):
    from relief.monitoring import leads

    lead = leads_of(w.h1)[0]
    leads.dismiss(lead, "重复", w.leader1, today())
    db.session.commit()
    row = next(r for r in client.get("/api/v1/monitoring/leads", headers=bearer(w.admin)).get_json()
               if r["id"] == lead.id)
    assert row["step"] == "dismissed" and row["due_on"] is None


def test_clear_answers_422_with_one_message_per_unmet_condition(client, w):
    case = monitored_case(None, w, months_ago=2, measure_done=False)
    db.session.commit()
    r = client.post(f"/api/v1/monitoring/cases/{case.id}/clear", headers=bearer(w.admin))
    assert r.status_code == 422
    problems = r.get_json()["problems"]
    assert [p["rule"] for p in problems] == ["months", "income", "measure"]
    assert all(p["message"] for p in problems)


def test_clear_answers_200_when_every_rule_holds(client, w):
    w.h1.incomes[-1].per_capita_yuan = 9000
    case = monitored_case(None, w)
    db.session.commit()
    r = client.post(f"/api/v1/monitoring/cases/{case.id}/clear", json={"note": "收入稳定"}, headers=bearer(w.admin))
    assert r.status_code == 200
    assert r.get_json() == {"case_id": case.id, "step": "cleared", "cleared_on": today().isoformat()}
    assert db.session.get(type(case), case.id).step is MonitorStep.CLEARED


def test_clear_is_scoped_and_for_the_admin_only(client, w):
    case = monitored_case(None, w)
    db.session.commit()
    url = f"/api/v1/monitoring/cases/{case.id}/clear"
    assert client.post(url, headers=bearer(w.leader2)).status_code == 404  # another township
    assert client.post(url, headers=bearer(w.cadre2)).status_code == 404
    assert client.post(url, headers=bearer(w.leader1)).status_code == 403
    assert client.post(url, headers=bearer(w.inspector)).status_code == 403
    assert client.post("/api/v1/monitoring/cases/999999/clear", headers=bearer(w.admin)).status_code == 404


def test_the_three_calls_are_in_the_openapi_description(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/monitoring/leads", "/api/v1/monitoring/self-report",
            "/api/v1/monitoring/cases/{case_id}/clear"} <= set(paths)
    assert paths["/api/v1/monitoring/self-report"]["post"].get("security") == []


# -- 发现返贫风险 in a visit ----------------------------------------------------------------------

def test_a_visit_marked_with_a_risk_raises_a_lead_once(client, w):
    sent = body(w.h1.id, risk={"type": "illness", "note": "户主查出尿毒症"})
    headers = bearer(w.cadre1)
    first = client.post("/api/v1/visits", json=sent, headers=headers)
    again = client.post("/api/v1/visits", json=sent, headers=headers)  # the offline queue sends it again
    assert (first.status_code, again.status_code) == (201, 200)
    (lead,) = leads_of(w.h1, LeadSource.VISIT)
    assert lead.cause == "illness" and lead.visit_id == first.get_json()["id"]
    assert lead.assignee_cadre_id == w.c1.id and lead.evidence["note"] == "户主查出尿毒症"
    other = client.post("/api/v1/visits", json=body(w.h1.id, risk="illness"), headers=headers)
    assert other.status_code == 201 and len(leads_of(w.h1, LeadSource.VISIT)) == 1  # same risk, same year


def test_a_risk_must_have_a_known_type_and_a_household(client, f, w):
    headers = bearer(w.cadre1)
    r = client.post("/api/v1/visits", json=body(w.h1.id, risk={"type": "bored"}), headers=headers)
    assert r.status_code == 422 and "风险类型" in r.get_json()["fields"]["risk.type"]
    from relief.models import PairingKind

    f.pairing(w.c1, village=w.v2, kind=PairingKind.LINK)
    f.commit()
    r = client.post("/api/v1/visits", json=body(village_id=w.v2.id, risk="illness"), headers=headers)
    assert r.status_code == 422 and "risk" in r.get_json()["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_a_visit_queued_before_the_risk_field_existed_is_still_a_resend(client, w):
    """Its stored hash was computed without a `risk` key: the same content again is a 200, not a 409."""
    from relief.visits.schemas import VisitIn

    sent = body(w.h1.id)
    payload = VisitIn.model_validate(sent)
    old = payload.model_dump(mode="json", exclude={"client_uuid", "photos", "risk", "photo_times"})
    old["photos"] = []
    digest = hashlib.sha256(json.dumps(old, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                            .encode()).hexdigest()
    db.session.add(Visit(client_uuid=sent["client_uuid"], cadre_id=w.c1.id, household_id=w.h1.id,
                         village_id=w.v1.id, township_id=w.t1.id, kind=payload.kind, visited_on=payload.visited_on,
                         notes=payload.notes, aid_yuan=payload.aid_yuan, content_hash=digest))
    db.session.commit()
    assert client.post("/api/v1/visits", json=sent, headers=bearer(w.cadre1)).status_code == 200
    assert client.post("/api/v1/visits", json={**sent, "risk": "illness"},
                       headers=bearer(w.cadre1)).status_code == 409


def test_a_visit_without_a_risk_is_recorded_as_before(client, w):
    r = client.post("/api/v1/visits", json=body(w.h1.id, client_uuid=str(uuid.uuid4())), headers=bearer(w.cadre1))
    assert r.status_code == 201 and leads_of(w.h1, LeadSource.VISIT) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskLead).where(
        RiskLead.source == LeadSource.VISIT)) == 0
    _ = timedelta
