"""农户自主申报: no sign-in, the right queue, and nothing revealed — the same answer and the same work
whether or not the person is on a roster; throttled per address; CSRF on the page form."""
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from relief.dates import today
from relief.extensions import db
from relief.models import LeadSource, RiskLead

from .conftest import csrf_token
from .factories import valid_id

KNOWN_PHONE = "13800000001"  # 张一's, paired with 帮扶甲


def _report(**over):
    data = {"name": "张一", "phone": KNOWN_PHONE, "township": "东镇", "village": "东村", "difficulty": "illness",
            "text": "老伴住院，花了三万多"}
    data.update(over)
    return data


def _lead(reference):
    return db.session.scalar(sa.select(RiskLead).where(RiskLead.reference == reference))


def test_the_page_needs_no_sign_in_and_fills_in_the_village_from_the_qr_code(client, w):
    r = client.get(f"/monitoring/report?v={w.v1.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="csrf_token"' in html
    assert f'<option value="{w.v1.id}" selected>东村</option>' in html
    assert f'<option value="{w.t1.id}" selected>东镇</option>' in html
    assert "退出" not in html  # no signed-in chrome


def test_a_report_from_the_page_reaches_the_paired_cadres_queue(client, w):
    form = _report(township=str(w.t1.id), village=str(w.v1.id), csrf_token=csrf_token(client, "/monitoring/report"))
    r = client.post("/monitoring/report", data=form)
    assert r.status_code == 303 and r.headers["Location"] == "/monitoring/report/done"
    html = client.get("/monitoring/report/done").get_data(as_text=True)
    reference = re.search(r'id="reference">([^<]+)<', html).group(1)
    lead = _lead(reference)
    assert lead.source is LeadSource.SELF_REPORT and lead.household_id == w.h1.id
    assert lead.assignee_cadre_id == w.c1.id and lead.cause == "illness"
    assert lead.reported_contact == "138****0001" and lead.evidence["text"] == "老伴住院，花了三万多"
    assert KNOWN_PHONE not in str(lead.evidence)
    from relief.models import AuditEvent

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "risk_lead"))
    assert event.username == "public" and event.user_id is None and KNOWN_PHONE not in str(event.changes)


def test_a_person_not_on_the_roster_goes_to_the_villages_stationed_cadre(client, w):
    r = client.post("/api/v1/monitoring/self-report", json=_report(name="赵六", phone="13912345678"))
    lead = _lead(r.get_json()["reference"])
    assert lead.household_id is None and lead.village_id == w.v1.id and lead.assignee_cadre_id == w.stationed.id
    assert lead.reported_name == "赵六" and lead.reported_contact == "139****5678"


def test_an_id_number_finds_the_household_and_only_its_masked_form_is_kept(client, w):
    r = client.post("/api/v1/monitoring/self-report", json=_report(phone=None, id_number=w.h2.id_number.lower(),
                                                                   township="西镇", village="西村"))
    lead = _lead(r.get_json()["reference"])
    assert lead.household_id == w.h2.id and lead.assignee_cadre_id == w.c2.id
    assert lead.reported_contact == w.h2.id_number[:6] + "********" + w.h2.id_number[-4:]


def _answer(client, data):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(re.sub(r"\d+", "N", statement))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        r = client.post("/api/v1/monitoring/self-report", json=data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    body = r.get_json()
    names = sorted(k for k, _v in r.headers if k.lower() != "content-length")
    return r.status_code, sorted(body), names, statements


def test_known_and_unknown_people_get_the_same_answer_by_the_same_work(client, w):
    known = _answer(client, _report())
    stranger = _answer(client, _report(name="钱七", phone="13700000009"))
    by_id = _answer(client, _report(phone=None, id_number=w.h1.id_number))
    unknown_id = _answer(client, _report(phone=None, id_number=valid_id(555)))
    assert known[0] == stranger[0] == by_id[0] == unknown_id[0] == 202
    assert known[1] == stranger[1] == ["reference"]
    assert known[2] == stranger[2]
    # the same SQL statements in the same order: whether the person is known changes only the rows found
    assert known[3] == stranger[3] and by_id[3] == unknown_id[3]
    references = db.session.scalars(sa.select(RiskLead.reference)).all()
    assert len(set(references)) == 4 and all(re.fullmatch(r"\d{8}-\d{6}", ref) for ref in references)


def test_a_household_with_an_open_case_gets_the_same_answer_too(client, w):
    from relief.monitoring import cases, leads

    lead = leads.lead_from_visit(_visit(w), leads.RiskType.ILLNESS, "", w.cadre1)
    cases.take_up(lead, w.cadre1, today())
    db.session.commit()
    joined = _answer(client, _report())
    stranger = _answer(client, _report(name="孙八", phone="13700000008"))
    assert joined[1] == stranger[1] and joined[3] == stranger[3]


def _visit(w):
    from .factories import Factories

    return Factories().visit(w.c1, w.h1)


@pytest.mark.parametrize("over, field", [
    ({"phone": None}, "phone"),
    ({"phone": "12345"}, "phone"),
    ({"phone": None, "id_number": "320123198005171234"}, "id_number"),
    ({"name": ""}, "name"),
    ({"difficulty": "rich"}, "difficulty"),
    ({"village": "没有的村"}, "village"),
    ({"township": "西镇"}, "village"),  # 东村 is not in 西镇
])
def test_bad_fields_are_named_in_chinese(client, w, over, field):
    r = client.post("/api/v1/monitoring/self-report", json=_report(**over))
    assert r.status_code == 422
    message = r.get_json()["fields"][field]
    assert re.search(r"[\u4e00-\u9fff]", message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskLead)) == 0


def test_the_page_shows_each_problem_beside_its_field(client, w):
    form = _report(phone="", id_number="", csrf_token=csrf_token(client, "/monitoring/report"))
    r = client.post("/monitoring/report", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "请填写联系电话或身份证号" in html and 'id="phone-error"' in html
    assert 'value="张一"' in html  # what was typed is kept


def test_the_page_form_needs_its_csrf_token_and_the_json_endpoint_does_not(client, w):
    assert client.post("/monitoring/report", data=_report()).status_code == 400
    assert client.post("/api/v1/monitoring/self-report", json=_report()).status_code == 202


@pytest.mark.config(MONITOR_SELF_REPORT_LIMIT="3 per hour", RATELIMIT_STORAGE_URI="memory://")
def test_reports_are_throttled_per_address_across_the_page_and_the_api(client, w):
    codes = [client.post("/api/v1/monitoring/self-report", json=_report(), environ_base={"REMOTE_ADDR": "10.0.0.1"})
             .status_code for _ in range(3)]
    token = csrf_token(client, "/monitoring/report")
    page = client.post("/monitoring/report", data={**_report(), "csrf_token": token},
                       environ_base={"REMOTE_ADDR": "10.0.0.1"})
    other = client.post("/api/v1/monitoring/self-report", json=_report(), environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert codes == [202, 202, 202] and page.status_code == 429 and other.status_code == 202
    assert "12317" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskLead)) == 4


@pytest.mark.config(MONITOR_SELF_REPORT_LIMIT="2 per hour", RATELIMIT_STORAGE_URI="memory://")
def test_a_refused_report_does_not_use_up_the_limit(client, w):
    for _ in range(4):
        assert client.post("/api/v1/monitoring/self-report", json=_report(phone="1")).status_code == 422
    assert client.post("/api/v1/monitoring/self-report", json=_report()).status_code == 202


def test_with_many_villages_the_sender_picks_the_township_first(client, w, monkeypatch):
    from relief.monitoring import public_views

    monkeypatch.setattr(public_views, "ALL_VILLAGES_UP_TO", 1)  # a province: more villages than one list holds
    html = client.get("/monitoring/report").get_data(as_text=True)
    assert "先选择您所在的乡镇" in html and "东村" not in html and "西村" not in html
    html = client.get(f"/monitoring/report?township={w.t2.id}").get_data(as_text=True)
    assert "西村" in html and "东村" not in html
    html = client.get(f"/monitoring/report?v={w.v1.id}").get_data(as_text=True)
    assert f'<option value="{w.v1.id}" selected>东村</option>' in html and "西村" not in html
    form = _report(township=str(w.t1.id), village=str(w.v1.id), csrf_token=csrf_token(client, "/monitoring/report"))
    assert client.post("/monitoring/report", data=form).status_code == 303
