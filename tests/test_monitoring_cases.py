"""A case step by step, with working-day deadlines of China's official calendar; 风险消除 only when
every rule holds, each unmet rule named."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import (
    AuditEvent,
    Difficulty,
    Household,
    HouseholdStatus,
    LeadSource,
    LeadStatus,
    MeasureKind,
    MonitorCategory,
    MonitorStep,
    RiskType,
    StepRecord,
)
from relief.monitoring import cases, clearing, leads
from relief.monitoring.errors import ClearRefused, MonitoringError, NotAllowed
from relief.workdays import (
    add_workdays,
    is_estimated,
    is_workday,
    statutory_holidays,
    workdays_between,
)

from .monitoring_support import (
    CHECK_NAMES,
    d,
    income,
    leads_of,
    line,
    monitored_case,
)

SECURE = dict.fromkeys(CHECK_NAMES, True)
NOTICE = cases.Notice(today() - timedelta(days=8), today() - timedelta(days=7), today(), True)


# -- working days ------------------------------------------------------------------------------

def test_a_swapped_working_sunday_counts_and_the_spring_festival_holiday_does_not():
    # 2025: Spring Festival holiday 28 Jan – 4 Feb; Sunday 26 Jan and Saturday 8 Feb are working days
    assert is_workday(d("2025-01-26")) and is_workday(d("2025-02-08"))
    assert not any(is_workday(d("2025-01-28") + timedelta(days=i)) for i in range(8))
    # five working days after Friday 24 Jan: Sun 26, Mon 27, then Wed 5, Thu 6, Fri 7 Feb
    assert add_workdays(d("2025-01-24"), 5) == d("2025-02-07")
    assert add_workdays(d("2025-01-24"), 7) == d("2025-02-10")  # Sat 8 Feb works, Sun 9 does not
    assert workdays_between(d("2025-01-24"), d("2025-02-07")) == 5


def test_national_day_and_its_swapped_saturday():
    # 2025: 1–8 Oct off; Sunday 28 Sep and Saturday 11 Oct are working days
    assert add_workdays(d("2025-09-26"), 1) == d("2025-09-28")
    assert add_workdays(d("2025-09-30"), 1) == d("2025-10-09")
    assert add_workdays(d("2025-10-10"), 1) == d("2025-10-11")


def test_a_year_the_calendar_does_not_know_is_estimated_from_the_fixed_holidays(app):
    assert is_estimated(d("2030-01-02")) and not is_estimated(d("2025-01-02"))
    # 2030: 春节 is 3 Feb, so 除夕 2 Feb to 初三 5 Feb are off; Monday to Friday otherwise
    assert {d("2030-02-02"), d("2030-02-05"), d("2030-01-01"), d("2030-10-03")} <= statutory_holidays(2030)
    assert add_workdays(d("2030-02-01"), 1) == d("2030-02-06")
    app.config["MONITOR_EXTRA_HOLIDAYS"] = ("2030-02-06",)  # the State Council's notice, entered early
    app.config["MONITOR_EXTRA_WORKDAYS"] = ("2030-02-09",)
    assert add_workdays(d("2030-02-01"), 1) == d("2030-02-07")
    assert is_workday(d("2030-02-09"))


def test_a_lead_reported_before_the_spring_festival_is_due_after_it(app, w):
    lead = _lead(w, reported_on=d("2025-01-24"))
    assert lead.due_on == d("2025-02-07")
    case = cases.take_up(lead, w.cadre1, d("2025-01-24"))
    assert case.step is MonitorStep.VERIFYING and case.step_due_on == d("2025-02-07")


# -- the steps ------------------------------------------------------------------------------

def _lead(w, household=None, reported_on=None, source=LeadSource.GUARANTEE_FAILED):
    household = household or w.h1
    lead = leads.new_lead(household_id=household.id, township_id=household.township_id,
                           village_id=household.village_id, source=source, cause=source.value,
                           year=(reported_on or today()).year, reported_on=reported_on or today() - timedelta(days=12),
                           evidence={}, assignee_cadre_id=w.c1.id, case_id=None)
    db.session.flush()
    return lead


def _home_check(**over):
    values = dict(done_on=today() - timedelta(days=10), checks=dict(SECURE, check_medical=False), members=4, working_age_members=2,
                  notes="妻子住院，医药费自付三万元", at_risk=True, income_yuan=5200, income_year=today().year)
    values.update(over)
    return cases.HomeCheck(**values)


def _to_district_review(w, case):
    cases.record_home_check(case, _home_check(), w.cadre1, today())
    cases.record_notice(case, NOTICE,
                        w.cadre1, today())
    cases.township_review(case, True, "", w.leader1, today())


def _decision(w, **over):
    values = dict(include=True, category=MonitorCategory.SUDDEN, risk_types=[RiskType.ILLNESS],
                  measures=[cases.MeasureIn(MeasureKind.HEALTH, w.c1.id, today(), "申请大病救助")])
    values.update(over)
    return cases.Decision(**values)


def test_a_case_goes_from_home_check_to_monitored_with_its_deadlines_and_records(app, w):
    case = cases.take_up(_lead(w), w.cadre1, today())
    cases.record_home_check(case, _home_check(), w.cadre1, today())
    assert case.step is MonitorStep.PUBLIC_NOTICE
    assert case.step_due_on == add_workdays(today() - timedelta(days=10), app.config["MONITOR_NOTICE_DAYS"])
    h = db.session.get(Household, w.h1.id)
    assert (h.check_medical, h.members, h.working_age_members) == (False, 4, 2)
    assert h.checks_on == today() - timedelta(days=10)
    assert [i.per_capita_yuan for i in h.incomes if i.year == today().year] == [5200]
    cases.record_notice(case, NOTICE,
                        w.cadre1, today())
    assert case.step is MonitorStep.TOWNSHIP_REVIEW and case.step_due_on == add_workdays(today(), 5)
    with pytest.raises(NotAllowed):
        cases.township_review(case, True, "", w.cadre1, today())
    cases.township_review(case, True, "", w.leader1, today())
    assert case.step is MonitorStep.DISTRICT_REVIEW
    with pytest.raises(NotAllowed):
        cases.decide(case, _decision(w), w.leader1, today())
    cases.decide(case, _decision(w), w.admin, today())
    db.session.commit()
    assert case.step is MonitorStep.MONITORED and case.step_due_on is None and case.included_on == today()
    assert (h.status, h.monitor_category, h.monitor_identified_on) == (HouseholdStatus.MONITORED,
                                                                       MonitorCategory.SUDDEN, today())
    assert [m.kind for m in case.measures] == [MeasureKind.HEALTH] and case.measures[0].cadre_id == w.c1.id
    steps = [(r.step.value, r.outcome) for r in case.records]
    assert steps == [("reported", "opened"), ("verifying", "passed"), ("public_notice", "passed"),
                     ("township_review", "passed"), ("district_review", "included")]
    assert case.records[1].findings["check_medical"] is False and case.records[1].username == "cadre1"
    audited = db.session.scalars(sa.select(AuditEvent.entity).where(AuditEvent.entity == "monitor_step_record")).all()
    assert len(audited) == 5


def test_the_home_check_fires_the_rules_on_what_it_found(app, w):
    line(today().year, 6900)
    case = cases.take_up(_lead(w, source=LeadSource.VISIT), w.cadre1, today())
    cases.record_home_check(case, _home_check(), w.cadre1, today())  # a check answered no, 5,200 yuan
    found = {lead.source for lead in leads_of(w.h1)}
    assert {LeadSource.GUARANTEE_FAILED, LeadSource.INCOME_BELOW_LINE} <= found
    assert all(lead.case_id == case.id for lead in leads_of(w.h1))


def test_no_risk_at_the_home_check_ends_the_case_with_its_reason(app, w):
    case = cases.take_up(_lead(w), w.cadre1, today())
    with pytest.raises(MonitoringError) as err:
        cases.record_home_check(case, _home_check(at_risk=False), w.cadre1, today())
    assert "reason" in err.value.fields
    cases.record_home_check(case, _home_check(at_risk=False, reason="已参加医保，报销后自付不大"), w.cadre1, today())
    assert case.step is MonitorStep.DISMISSED and case.dismiss_reason == "已参加医保，报销后自付不大"
    assert leads_of(w.h1)[0].step is MonitorStep.DISMISSED


@pytest.mark.parametrize("field, over", [
    ("done_on", {"done_on": today() + timedelta(days=1)}),
    ("checks", {"checks": {"check_food_clothing": True}}),
    ("working_age_members", {"working_age_members": 5}),
    ("notes", {"notes": " "}),
])
def test_a_home_check_is_refused_with_the_field_to_fix(app, w, field, over):
    case = cases.take_up(_lead(w), w.cadre1, today())
    with pytest.raises(MonitoringError) as err:
        cases.record_home_check(case, _home_check(**over), w.cadre1, today())
    assert field in err.value.fields


def test_only_the_holder_does_the_home_check_and_steps_are_not_done_twice(app, w):
    case = cases.take_up(_lead(w), w.cadre1, today())
    with pytest.raises(NotAllowed):
        cases.record_home_check(case, _home_check(), w.cadre2, today())
    cases.record_home_check(case, _home_check(), w.leader1, today())  # the leader may act for the cadre
    with pytest.raises(MonitoringError):
        cases.record_home_check(case, _home_check(), w.cadre1, today())


def test_inclusion_needs_a_category_risk_types_and_a_measure_with_a_cadre(app, w):
    case = cases.take_up(_lead(w), w.cadre1, today())
    _to_district_review(w, case)
    with pytest.raises(MonitoringError) as err:
        cases.decide(case, _decision(w, category=None, risk_types=[], measures=[]), w.admin, today())
    assert {"category", "risk_types", "measure_kind"} <= set(err.value.fields)
    stranger = w.c2.id  # paired in 西镇 only
    with pytest.raises(MonitoringError) as err:
        cases.decide(case, _decision(w, measures=[cases.MeasureIn(MeasureKind.HEALTH, stranger, today())]),
                     w.admin, today())
    assert "measure_cadre_id" in err.value.fields


def test_not_included_at_the_district_with_a_reason(app, w):
    case = cases.take_up(_lead(w), w.cadre1, today())
    _to_district_review(w, case)
    cases.decide(case, cases.Decision(include=False, reason="家庭有稳定务工收入"), w.admin, today())
    assert case.step is MonitorStep.DISMISSED and w.h1.status is HouseholdStatus.LIFTED


def test_a_self_reported_household_not_on_the_roster_is_registered_when_included(app, w):
    reference = leads.self_report(name="赵六", village=w.v1, difficulty=Difficulty.DISASTER, text="房子被水淹了",
                                  phone="13912345678", id_number=None, today=today())
    lead = db.session.scalar(sa.select(leads.RiskLead).where(leads.RiskLead.reference == reference))
    assert lead.household_id is None and lead.assignee_cadre_id == w.stationed.id
    assert lead.reported_contact == "139****5678"
    case = cases.take_up(lead, w.stationed_user, today())
    from tests.factories import valid_id

    number = valid_id(777)
    with pytest.raises(MonitoringError) as err:
        cases.record_home_check(case, _home_check(), w.stationed_user, today())
    assert "id_number" in err.value.fields
    cases.record_home_check(case, _home_check(id_number=number, phone="13912345678", done_on=today()),
                            w.stationed_user, today())
    cases.record_notice(case, cases.Notice(today(), today(), today(), True),
                        w.stationed_user, today())
    cases.township_review(case, True, "", w.leader1, today())
    cases.decide(case, _decision(w, category=MonitorCategory.MARGINAL, risk_types=[RiskType.DISASTER]), w.admin,
                 today())
    db.session.commit()
    h = case.household
    assert (h.head_name, h.id_number, h.village_id, h.status) == ("赵六", number, w.v1.id, HouseholdStatus.MONITORED)
    assert (h.members, h.working_age_members, h.check_medical) == (4, 2, False)
    assert lead.household_id == h.id and case.subject_id_number is None


# -- 风险消除 -------------------------------------------------------------------------------

def _rules(case):
    return {p.rule for p in clearing.problems(case, today())}


@pytest.fixture
def ready(app, w):
    """A case that may be cleared: monitored 7 months, income above the line, a measure done, all secure."""
    line(today().year - 1, 6900)
    income(w.h1, today().year - 1, 9000)
    return monitored_case(None, w)


def test_clearing_is_allowed_when_every_rule_holds(app, w, ready):
    assert clearing.problems(ready, today()) == []
    clearing.clear(ready, w.admin, today())
    db.session.commit()
    assert ready.step is MonitorStep.CLEARED and ready.cleared_on == today()
    assert w.h1.monitor_cleared_on == today() and w.h1.status is HouseholdStatus.LIFTED  # lifted out before
    assert ready.records[-1].outcome == "cleared"


def test_clearing_is_refused_before_six_months(app, w, ready):
    ready.included_on = today() - timedelta(days=150)
    assert _rules(ready) == {"months"}
    with pytest.raises(ClearRefused) as err:
        clearing.clear(ready, w.admin, today())
    assert "6 个月" in err.value.problems[0].message


@pytest.mark.parametrize("yuan", [6900, 5000])
def test_clearing_is_refused_when_the_income_is_not_above_the_line(app, w, ready, yuan):
    income(w.h1, today().year, yuan)
    assert _rules(ready) == {"income"}


def test_clearing_is_refused_without_an_income_or_with_an_old_one(app, w, ready):
    from relief.models import HouseholdIncome

    db.session.execute(sa.delete(HouseholdIncome))
    assert _rules(ready) == {"income"}
    income(w.h1, today().year - 3, 20000)
    line(today().year - 3, 6000)
    (problem,) = clearing.problems(ready, today())
    assert str(today().year - 3) in problem.message


def test_clearing_is_refused_without_a_measure_carried_out(app, w, ready):
    ready.measures[0].done_on = None
    assert _rules(ready) == {"measure"}


def test_clearing_is_refused_while_a_guarantee_is_not_secure(app, w, ready):
    w.h1.check_water = False
    w.h1.check_housing = None
    (problem,) = clearing.problems(ready, today())
    assert problem.rule == "guarantee" and "饮水安全有保障（否）" in problem.message and "未核实" in problem.message


def test_a_household_without_working_age_members_under_social_security_is_never_cleared(app, w, ready):
    ready.measures[0].kind = MeasureKind.SOCIAL_SECURITY
    w.h1.working_age_members = 0
    assert _rules(ready) == {"social_security"}
    w.h1.working_age_members = 1  # with someone able to work, 兜底 does not block
    assert _rules(ready) == set()
    w.h1.working_age_members = None
    assert _rules(ready) == {"working_age"}


def test_every_unmet_rule_is_named_at_once(app, w, ready):
    ready.included_on = today() - timedelta(days=10)
    ready.measures[0].done_on = None
    w.h1.check_food_clothing = False
    income(w.h1, today().year, 100)
    assert _rules(ready) == {"months", "measure", "guarantee", "income"}


def test_only_the_admin_clears(app, w, ready):
    with pytest.raises(NotAllowed):
        clearing.clear(ready, w.leader1, today())


def test_a_cleared_household_stays_on_record_and_a_new_lead_opens_a_new_case(app, w, ready):
    clearing.clear(ready, w.admin, today())
    db.session.commit()
    w.h1.check_housing = False
    leads.scan(today())
    (lead,) = [x for x in leads_of(w.h1) if x.source is LeadSource.GUARANTEE_FAILED]
    assert lead.status is LeadStatus.OPEN and lead.case_id is None
    case = cases.take_up(lead, w.cadre1, today())
    assert case.id != ready.id and case.step is MonitorStep.VERIFYING
    assert case.records[0].findings.get("reopens_case") == ready.id
    assert ready.step is MonitorStep.CLEARED


def test_every_step_is_audited_as_its_record(app, w):
    case = cases.take_up(_lead(w), w.cadre1, today())
    cases.record_home_check(case, _home_check(), w.cadre1, today())
    db.session.commit()
    rows = db.session.scalars(sa.select(StepRecord).where(StepRecord.case_id == case.id)).all()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "monitor_case",
                                                            AuditEvent.entity_id == case.id)).all()
    assert len(rows) == 2 and any(e.changes.get("step") == ["verifying", "public_notice"] for e in events)
