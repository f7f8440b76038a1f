"""The monitoring pages as each role uses them: the queue, a lead, a case step by step, the line,
the department list, the poster; every one scoped (out of scope is a 404)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import (
    LeadSource,
    LeadStatus,
    MonitorCase,
    MonitorLine,
    MonitorStep,
    RiskLead,
)
from relief.monitoring import cases, leads

from .conftest import csrf_token
from .monitoring_support import income, leads_of, line, monitored_case, world


@pytest.fixture
def w(f):
    w = world(f)
    line(today().year - 1, 6900)
    for h in (w.h1, w.h1b, w.h2):
        income(h, today().year - 1, 5000)
    leads.scan(today())
    db.session.commit()
    return w


def _post(client, url, data=None, page=None):
    return client.post(url, data={"csrf_token": csrf_token(client, page or "/monitoring/"), **(data or {})})


def test_every_role_has_the_queue_in_the_menu(client, auth, w):
    for user in ("cadre1", "leader1", "inspector", "admin"):
        auth.login(user)
        html = client.get("/").get_data(as_text=True)
        assert 'href="/monitoring/"' in html, user
        assert client.get("/monitoring/").status_code == 200
        auth.logout()


def test_a_cadre_sees_only_their_own_queue(client, auth, w):
    auth.login("cadre1")
    html = client.get("/monitoring/").get_data(as_text=True)
    assert "张一" in html and "张二" not in html and "李三" not in html
    html = client.get("/monitoring/?show=leads").get_data(as_text=True)
    assert "张一" in html and "李三" not in html
    auth.logout()
    auth.login("stationed")  # 张二 has no cadre: the village's stationed cadre has it
    html = client.get("/monitoring/").get_data(as_text=True)
    assert "张二" in html and "张一" not in html


def test_a_leader_sees_the_township_and_not_the_other(client, auth, w):
    auth.login("leader1")
    html = client.get("/monitoring/?show=leads").get_data(as_text=True)
    assert "张一" in html and "张二" in html and "李三" not in html
    other = leads_of(w.h2)[0]
    assert client.get(f"/monitoring/leads/{other.id}").status_code == 404
    assert client.get(f"/monitoring/leads/{leads_of(w.h1)[0].id}").status_code == 200


def test_a_cadre_gets_404_for_another_cadres_lead_and_case(client, auth, w):
    other = leads_of(w.h2)[0]
    case = cases.take_up(other, w.cadre2, today())
    db.session.commit()
    auth.login("cadre1")
    assert client.get(f"/monitoring/leads/{other.id}").status_code == 404
    assert client.get(f"/monitoring/cases/{case.id}").status_code == 404
    assert _post(client, f"/monitoring/leads/{other.id}/take").status_code == 404
    assert _post(client, f"/monitoring/cases/{case.id}/home-check", {"at_risk": "yes"}).status_code == 404


def test_a_leader_of_another_township_gets_404_for_a_case(client, auth, w):
    case = cases.take_up(leads_of(w.h2)[0], w.cadre2, today())
    db.session.commit()
    auth.login("leader1")
    assert client.get(f"/monitoring/cases/{case.id}").status_code == 404
    assert _post(client, f"/monitoring/cases/{case.id}/township-review", {"approve": "yes"}).status_code == 404
    auth.logout()
    auth.login("leader2")
    assert client.get(f"/monitoring/cases/{case.id}").status_code == 200


def test_the_inspector_reads_but_cannot_act(client, auth, w):
    lead = leads_of(w.h1)[0]
    auth.login("inspector")
    html = client.get(f"/monitoring/leads/{lead.id}").get_data(as_text=True)
    assert "受理，开始入户核实" not in html
    assert _post(client, f"/monitoring/leads/{lead.id}/take").status_code == 403


def _home_check_form(**over):
    form = {"done_on": today().isoformat(), "check_food_clothing": "yes", "check_education": "yes",
            "check_medical": "no", "check_housing": "yes", "check_water": "yes", "members": "4",
            "working_age_members": "2", "income_yuan": "", "income_year": str(today().year),
            "notes": "妻子住院，自付医药费三万元", "at_risk": "yes", "reason": ""}
    form.update(over)
    return form


def test_a_case_moves_through_its_pages_to_monitored(client, auth, w):
    lead = leads_of(w.h1)[0]
    auth.login("cadre1")
    r = _post(client, f"/monitoring/leads/{lead.id}/take")
    case = db.session.scalar(sa.select(MonitorCase))
    assert r.status_code == 302 and r.headers["Location"] == f"/monitoring/cases/{case.id}"
    page = client.get(f"/monitoring/cases/{case.id}").get_data(as_text=True)
    assert "入户核实" in page and "保存入户核实" in page
    r = _post(client, f"/monitoring/cases/{case.id}/home-check", _home_check_form(members="x", at_risk=""))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "家庭人口应为 1 到 20 之间的整数" in page and "请选择核实结论" in page
    assert _post(client, f"/monitoring/cases/{case.id}/home-check", _home_check_form()).status_code == 302
    stamp = today().isoformat()
    form = {"reviewed_on": stamp, "notice_from": stamp, "notice_to": stamp, "passed": "yes"}
    assert _post(client, f"/monitoring/cases/{case.id}/notice", form).status_code == 302
    auth.logout()
    auth.login("leader1")
    page = client.get("/monitoring/").get_data(as_text=True)
    assert "待乡镇审核" in page and "张一" in page  # the leader's own queue
    assert _post(client, f"/monitoring/cases/{case.id}/township-review", {"approve": "yes"}).status_code == 302
    assert _post(client, f"/monitoring/cases/{case.id}/decision", {"include": "yes"}).status_code == 403
    auth.logout()
    auth.login("admin")
    r = _post(client, f"/monitoring/cases/{case.id}/decision", {"include": "yes", "category": ""})
    assert r.status_code == 422 and "请选择监测对象类别" in r.get_data(as_text=True)
    form = {"include": "yes", "category": "sudden", "risk_types": ["illness", "expenses"], "measure_kind": "health",
            "measure_cadre_id": str(w.c1.id), "measure_started_on": stamp, "measure_description": "申请大病救助"}
    assert _post(client, f"/monitoring/cases/{case.id}/decision", form).status_code == 302
    db.session.expire_all()
    case = db.session.get(MonitorCase, case.id)
    assert case.step is MonitorStep.MONITORED and case.risk_types == ["illness", "expenses"]
    page = client.get(f"/monitoring/cases/{case.id}").get_data(as_text=True)
    assert "风险消除条件" in page and "纳入监测未满 6 个月" in page and "还没有已落实的帮扶措施" in page


def test_clearing_on_the_case_page_names_each_unmet_rule_then_clears(client, auth, w):
    case = monitored_case(None, w, months_ago=2, measure_done=False)
    db.session.commit()
    auth.login("admin")
    r = _post(client, f"/monitoring/cases/{case.id}/clear")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "还有 3 项条件不满足" in page
    for rule in ("months", "income", "measure"):
        assert f'data-rule="{rule}"' in page
    case.included_on = today() - timedelta(days=200)
    income(w.h1, today().year, 9000)
    line(today().year, 7000)
    db.session.commit()
    auth.logout()
    auth.login("cadre1")  # the measure's cadre records it carried out
    measure = case.measures[0]
    r = _post(client, f"/monitoring/measures/{measure.id}/done", {"done_on": today().isoformat()})
    assert r.status_code == 302
    assert _post(client, f"/monitoring/cases/{case.id}/clear").status_code == 403
    auth.logout()
    auth.login("admin")
    assert _post(client, f"/monitoring/cases/{case.id}/clear").status_code == 302
    assert db.session.get(MonitorCase, case.id).step is MonitorStep.CLEARED


def test_a_leader_dismisses_a_lead_with_a_reason_and_assigns_another(client, auth, w):
    lead, other = leads_of(w.h1)[0], leads_of(w.h1b)[0]
    auth.login("leader1")
    r = _post(client, f"/monitoring/leads/{lead.id}/dismiss", {"reason": ""})
    assert r.status_code == 422 and "请填写排除的理由" in r.get_data(as_text=True)
    assert _post(client, f"/monitoring/leads/{lead.id}/dismiss", {"reason": "重复录入"}).status_code == 302
    assert db.session.get(RiskLead, lead.id).status is LeadStatus.DISMISSED
    assert _post(client, f"/monitoring/leads/{other.id}/assign", {"cadre_id": str(w.c1.id)}).status_code == 302
    assert db.session.get(RiskLead, other.id).assignee_cadre_id == w.c1.id
    r = _post(client, f"/monitoring/leads/{other.id}/assign", {"cadre_id": str(w.c2.id)})  # 西镇's cadre
    assert r.status_code == 422


def test_the_line_page_says_which_line_applies(client, auth, w):
    auth.login("admin")
    y = today().year
    html = client.get("/monitoring/lines").get_data(as_text=True)
    assert f"{y}年未设定，沿用{y - 1}年的 6,900 元" in html
    r = _post(client, "/monitoring/lines", {"year": str(y), "yuan": "50"}, "/monitoring/lines")
    assert r.status_code == 422 and "监测范围应为" in r.get_data(as_text=True)
    r = _post(client, "/monitoring/lines", {"year": str(y), "yuan": "7,200"}, "/monitoring/lines")
    assert r.status_code == 302
    assert db.session.scalar(sa.select(MonitorLine.yuan).where(MonitorLine.year == y)) == 7200
    auth.logout()
    auth.login("cadre1")
    assert client.get("/monitoring/lines").status_code == 200
    assert _post(client, "/monitoring/lines", {"year": str(y), "yuan": "9000"}, "/monitoring/lines").status_code == 403


def test_setting_a_line_finds_the_households_under_it(client, auth, f):
    w = world(f)
    income(w.h1, today().year, 6500)
    db.session.commit()
    auth.login("admin")
    _post(client, "/monitoring/lines", {"year": str(today().year), "yuan": "6900"}, "/monitoring/lines")
    assert [lead.source for lead in leads_of(w.h1)] == [LeadSource.INCOME_BELOW_LINE]


def test_the_poster_carries_the_villages_self_report_address(client, auth, w):
    auth.login("stationed")
    html = client.get(f"/monitoring/poster?village={w.v1.id}").get_data(as_text=True)
    assert "东镇东村" in html and f"/monitoring/report?v={w.v1.id}" in html and "<svg" in html
    assert "驻村甲" in html
    assert client.get(f"/monitoring/poster?village={w.v2.id}").status_code == 404
    assert "东村" in client.get("/monitoring/poster").get_data(as_text=True)


@pytest.mark.config(PUBLIC_URL="https://fupin.example.gov.cn")
def test_the_printed_address_is_the_public_one_when_set(client, auth, f):
    w = world(f)
    auth.login("admin")
    html = client.get(f"/monitoring/poster?village={w.v1.id}").get_data(as_text=True)
    assert f"https://fupin.example.gov.cn/monitoring/report?v={w.v1.id}" in html


def test_contact_cards_carry_the_self_report_qr_code(client, auth, w):
    from relief.models import Pairing

    pairing = db.session.scalar(sa.select(Pairing).where(Pairing.household_id == w.h1.id))
    auth.login("cadre1")
    html = client.get(f"/pairings/{pairing.id}/card").get_data(as_text=True)
    assert html.count("<svg") == 2 and "扫码申报困难" in html


CSV = "身份证号,姓名,说明\n{known},张一,住院自付4.2万元\n{stranger},王五,住院自付3万元\n"


def test_the_admin_imports_a_departments_list_from_the_page(client, auth, w):
    from io import BytesIO

    from tests.factories import valid_id

    auth.login("admin")
    token = csrf_token(client, "/monitoring/import")
    data = CSV.format(known=w.h1.id_number, stranger=valid_id(901)).encode()
    r = client.post("/monitoring/import", data={"csrf_token": token, "source": "medical_insurance",
                                                "file": (BytesIO(data), "医保名单.csv")})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "新增风险线索1条" in html and "不在帮扶户名册中1人" in html
    assert "王五" in html and valid_id(901) not in html  # listed with the ID masked
    (lead,) = leads_of(w.h1, LeadSource.DEPARTMENT)
    assert lead.cause == "medical_insurance" and lead.evidence["note"] == "住院自付4.2万元"
    good = valid_id(903)
    broken = good[:17] + ("1" if good[17] != "1" else "2")  # the check digit is wrong
    bad = CSV.format(known=broken, stranger=valid_id(902)).encode()
    r = client.post("/monitoring/import", data={"csrf_token": csrf_token(client, "/monitoring/import"),
                                                "source": "medical_insurance", "file": (BytesIO(bad), "名单.csv")})
    assert r.status_code == 422 and "row 2: 身份证号: 身份证号校验位不正确" in r.get_data(as_text=True)
    auth.logout()
    auth.login("leader1")
    assert client.get("/monitoring/import").status_code == 403


def test_the_queue_filters_are_the_dashboard_links(client, auth, w):
    auth.login("admin")
    html = client.get(f"/monitoring/?show=leads&source=income_below_line&year={today().year - 1}").get_data(
        as_text=True)
    assert all(name in html for name in ("张一", "张二", "李三")) and "共 3 条" in html
    html = client.get(f"/monitoring/?show=leads&township={w.t2.id}").get_data(as_text=True)
    assert "李三" in html and "张一" not in html
    for lead in leads_of(w.h1) + leads_of(w.h1b):
        lead.due_on = today() - timedelta(days=1)
    db.session.commit()
    html = client.get("/monitoring/?show=leads&overdue=1").get_data(as_text=True)
    assert "共 2 条" in html and "李三" not in html
    assert "逾期未办" in client.get("/monitoring/").get_data(as_text=True)


def test_the_admin_adopts_imported_monitored_households(client, auth, f):
    from relief.models import HouseholdStatus

    w = world(f)
    w.h2.status = HouseholdStatus.MONITORED
    from relief.models import MonitorCategory

    w.h2.monitor_category = MonitorCategory.UNSTABLE
    db.session.commit()
    auth.login("admin")
    assert _post(client, "/monitoring/adopt").status_code == 302
    case = db.session.scalar(sa.select(MonitorCase))
    assert case.household_id == w.h2.id and case.step is MonitorStep.MONITORED and case.holder_cadre_id == w.c2.id
    assert _post(client, "/monitoring/adopt").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MonitorCase)) == 1


def test_the_queue_and_a_case_page_do_not_query_per_row(client, auth, f):
    from .test_query_counts import queries

    w = world(f)
    line(today().year, 6900)

    def grow(n):
        for _ in range(n):
            from relief.models import HouseholdStatus

            h = f.household(w.v1, status=HouseholdStatus.LIFTED)
            income(h, today().year, 5000)
        leads.scan(today())
        for lead in db.session.scalars(sa.select(RiskLead).where(RiskLead.status == LeadStatus.OPEN)
                                       .limit(n)).all():
            cases.take_up(lead, w.admin, today())
        db.session.commit()

    grow(2)
    auth.login("admin")
    paths = ["/monitoring/", "/monitoring/?show=leads", "/monitoring/?show=cases", "/monitoring/?show=closed"]
    before = [queries(client, p) for p in paths]
    grow(12)
    assert [queries(client, p) for p in paths] == before
    case = db.session.scalar(sa.select(MonitorCase).order_by(MonitorCase.id))
    first = queries(client, f"/monitoring/cases/{case.id}")
    from relief.models import Department

    for dept in Department:  # six more leads on the case, each with its evidence
        leads.new_lead(household_id=case.household_id, township_id=case.township_id, village_id=case.village_id,
                        source=LeadSource.DEPARTMENT, cause=dept.value, year=today().year, reported_on=today(),
                        evidence={"department": dept.value, "note": "名单", "file": "x.csv", "row": 2},
                        assignee_cadre_id=w.c1.id, case_id=case.id)
    db.session.commit()
    assert len(db.session.get(MonitorCase, case.id).leads) == 7
    assert queries(client, f"/monitoring/cases/{case.id}") == first


def test_the_stationed_cadre_holds_a_case_of_a_household_they_are_not_paired_with(client, auth, w):
    lead = leads_of(w.h1b)[0]  # 张二: no cadre of its own, so 东村's stationed cadre has it
    auth.login("stationed")
    r = _post(client, f"/monitoring/leads/{lead.id}/take")
    case = db.session.scalar(sa.select(MonitorCase))
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert case.holder_cadre_id == w.stationed.id and "保存入户核实" in html
    assert f'href="/households/{w.h1b.id}"' not in html  # a page the cadre could not open is not linked
    assert client.get(f"/households/{w.h1b.id}").status_code == 404
