"""The figures other pages show (dashboard, cadre home, map, household page, export, inspector):
each scoped, and equal to the rows of the list behind it."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import LeadSource, MonitorStep, RiskLead, StepRecord
from relief.monitoring import cases, clearing, figures, leads, queue

from .monitoring_support import (
    home_checked_today,
    income,
    leads_of,
    monitored_case,
    scanned_world,
)

Y = today().year


@pytest.fixture
def w(f):
    return scanned_world(f)


def test_leads_by_source_and_step_agree_with_the_list_behind_each_number(w):
    cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    db.session.commit()
    got = figures.leads_by_source_and_step(w.admin, Y)
    assert got == {("income_below_line", "verifying"): 1, ("income_below_line", "reported"): 2,
                   ("guarantee_failed", "reported"): 1}
    for (source, step), n in got.items():
        f = queue.parse({"show": "leads", "source": source, "step": step, "year": str(Y)})
        assert len(db.session.scalars(queue.leads(w.admin, f, today())).unique().all()) == n
    assert figures.leads_by_source_and_step(w.leader2, Y) == {("income_below_line", "reported"): 1,
                                                              ("guarantee_failed", "reported"): 1}
    assert figures.leads_by_source_and_step(w.admin, Y, township_id=w.t2.id) == \
        figures.leads_by_source_and_step(w.leader2, Y)


def test_overdue_steps_count_leads_and_case_steps_past_their_date(w):
    case = cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    case.step_due_on = today() - timedelta(days=1)
    leads_of(w.h2)[0].due_on = today() - timedelta(days=3)
    db.session.commit()
    assert figures.overdue_steps(w.admin, today()) == {"reported": 1, "verifying": 1}
    assert figures.overdue_steps(w.leader1, today()) == {"verifying": 1}


def test_monitored_by_category_cleared_in_year_and_open_cases_by_village(w):
    case = monitored_case(None, w)
    other = monitored_case(None, w, household=w.h1b)
    income(w.h1b, Y - 1, 9000)
    db.session.commit()
    assert figures.monitored_by_category(w.admin) == {"sudden": 2}
    assert figures.monitored_by_category(w.leader2) == {}
    w.h1b.incomes[-1].per_capita_yuan = 9000
    clearing.clear(other, w.admin, today())
    db.session.commit()
    assert figures.monitored_by_category(w.admin) == {"sudden": 1}
    assert figures.cleared_in_year(w.admin, Y) == 1 and figures.cleared_in_year(w.leader2, Y) == 0
    by_village = figures.open_cases_by_village(w.admin)
    assert by_village[w.v1.id]["open"] == 1 and by_village[w.v2.id] == {"open": 0, "pending": 0, "leads": 2}
    assert case.id


def test_a_cadres_work_lists_their_leads_steps_and_measures_earliest_first(w):
    case = cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    db.session.commit()
    work = figures.cadre_work(w.c1.id)
    assert [(d.kind, d.id) for d in work] == [("step", case.id)]
    assert figures.cadre_counts(w.c1.id, today()) == {"leads": 0, "steps": 1, "overdue": 0, "measures": 0}
    assert [d.kind for d in figures.cadre_work(w.stationed.id)] == ["lead"]  # 张二 has no cadre of its own


def test_household_history_is_scoped(w):
    case = cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    db.session.commit()
    assert [c.id for c in figures.household_history(w.cadre1, w.h1.id)] == [case.id]
    assert figures.household_history(w.cadre2, w.h1.id) == []
    assert figures.household_history(w.leader2, w.h1.id) == []
    assert len(figures.household_open_leads(w.leader2, w.h2.id)) == 2


def test_the_monitored_sheet_rows_mask_ids_unless_asked(w):
    case = monitored_case(None, w)
    db.session.commit()
    (row,) = figures.monitored_sheet_rows(w.admin, Y)
    assert len(row) == len(figures.MONITORED_SHEET_HEADERS)
    values = dict(zip(figures.MONITORED_SHEET_HEADERS, row))
    assert values["户主姓名"] == "张一" and values["身份证号"] == w.h1.id_number[:6] + "********" + w.h1.id_number[-4:]
    assert values["监测类别"] == "突发严重困难户" and values["状态"] == "监测中" and values["帮扶措施"] == "健康"
    assert figures.monitored_sheet_rows(w.admin, Y, full_ids=True)[0][3] == w.h1.id_number
    assert figures.monitored_sheet_rows(w.leader2, Y) == []
    assert figures.monitored_sheet_rows(w.admin, case.included_on.year - 1) == []


def test_suspicious_steps_fast_late_and_backdated(app, w):
    case = cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    home_checked_today(case, w.cadre1)
    (odd,) = figures.suspicious_steps(w.admin, Y)
    assert odd.reasons == ["fast"] and odd.record.step is MonitorStep.VERIFYING
    record = db.session.scalar(sa.select(StepRecord).where(StepRecord.step == MonitorStep.VERIFYING))
    record.began_at = datetime(Y, 1, 2, 8, 0)
    record.due_on = record.began_at.date() + timedelta(days=7)
    db.session.commit()
    (odd,) = figures.suspicious_steps(w.admin, Y)
    assert "late" in odd.reasons and odd.late_days > 0 and "fast" not in odd.reasons
    assert figures.suspicious_steps(w.leader2, Y) == []


def test_every_lead_source_has_its_words(w):
    assert set(figures.labels()["source"]) == {s.value for s in LeadSource}
    for lead in db.session.scalars(sa.select(RiskLead)):
        assert leads.evidence_lines(lead)
