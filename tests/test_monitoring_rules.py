"""防返贫 automatic rules: each fires exactly when it should, once per household, cause and year."""
from datetime import date

import pytest

from relief.dates import today
from relief.extensions import db
from relief.models import HouseholdStatus, LeadSource, LeadStatus
from relief.monitoring import leads, lines
from relief.monitoring.cases import take_up

from .monitoring_support import income, leads_of, line

Y = today().year - 1  # incomes are of last year, as an office records them


@pytest.mark.parametrize("yuan, fires", [(6900, False), (6899, True), (6901, False)])
def test_income_below_line_fires_only_under_the_line(app, w, yuan, fires):
    line(Y, 6900)
    income(w.h1, Y, yuan)
    leads.scan(today())
    found = leads_of(w.h1, LeadSource.INCOME_BELOW_LINE)
    assert len(found) == (1 if fires else 0)
    if fires:
        assert found[0].year == Y
        assert found[0].evidence == {"year": Y, "income_yuan": 6899, "line_yuan": 6900, "line_year": Y}


def test_a_year_without_its_own_line_uses_the_latest_earlier_one(app, w):
    line(Y - 3, 6000)
    line(Y - 1, 6900)
    line(Y + 5, 9000)  # a later year's line does not apply
    income(w.h1, Y, 6800)
    leads.scan(today())
    (lead,) = leads_of(w.h1, LeadSource.INCOME_BELOW_LINE)
    assert lead.evidence["line_yuan"] == 6900 and lead.evidence["line_year"] == Y - 1
    said = lines.line_for(Y).describe()
    assert said == f"{Y}年未设定，沿用{Y - 1}年的 6,900 元"
    assert lines.line_for(Y - 4).yuan is None


def test_no_line_no_income_lead(app, w):
    income(w.h1, Y, 100)
    result = leads.scan(today())
    assert leads_of(w.h1) == [] and result.line_missing


@pytest.mark.parametrize("now, fires", [(7100, False), (7000, True), (6999, True)])
def test_income_drop_fires_from_thirty_percent(app, w, now, fires):
    income(w.h1, Y - 1, 10000)
    income(w.h1, Y, now)  # 29 %, 30 %, 30.01 % down
    leads.scan(today())
    found = leads_of(w.h1, LeadSource.INCOME_DROP)
    assert len(found) == (1 if fires else 0)
    if fires and now == 7000:
        assert found[0].evidence["drop_percent"] == 30.0 and found[0].evidence["previous_yuan"] == 10000


def test_no_drop_without_an_income_the_year_before(app, w):
    income(w.h1, Y - 2, 20000)  # two years before: not "the year before"
    income(w.h1, Y, 5000)
    income(w.h2, Y - 1, 0)
    income(w.h2, Y, 0)
    leads.scan(today())
    assert leads_of(w.h1, LeadSource.INCOME_DROP) == [] and leads_of(w.h2, LeadSource.INCOME_DROP) == []


def test_the_drop_percentage_is_a_setting(app, w):
    app.config["MONITOR_INCOME_DROP_PERCENT"] = 20
    income(w.h1, Y - 1, 10000)
    income(w.h1, Y, 8000)
    leads.scan(today())
    assert len(leads_of(w.h1, LeadSource.INCOME_DROP)) == 1


def test_guarantee_failed_fires_on_a_no_not_on_an_unchecked(app, w):
    w.h1.check_housing = False
    w.h1.checks_on = date(Y, 6, 1)
    w.h2.check_housing = None  # never checked
    w.h1b.check_water = True
    db.session.flush()
    leads.scan(today())
    (lead,) = leads_of(w.h1, LeadSource.GUARANTEE_FAILED)
    assert lead.evidence["checks"] == ["check_housing"] and lead.year == Y
    assert leads_of(w.h2) == [] and leads_of(w.h1b) == []


def test_poor_households_are_not_watched_by_the_rules(app, w):
    w.h1.status = HouseholdStatus.POOR
    line(Y, 6900)
    income(w.h1, Y, 100)
    leads.scan(today())
    assert leads_of(w.h1) == []


def test_one_lead_per_household_cause_and_year(app, w):
    line(Y, 6900)
    income(w.h1, Y - 1, 10000)
    income(w.h1, Y, 5000)  # below the line and down 50 %: two causes
    first = leads.scan(today())
    again = leads.scan(today())
    assert first.created == {"income_below_line": 1, "income_drop": 1} and again.total == 0
    assert sorted(lead.source.value for lead in leads_of(w.h1)) == ["income_below_line", "income_drop"]


def test_a_dismissed_lead_does_not_come_back_for_the_same_cause_and_year(app, w):
    line(Y, 6900)
    income(w.h1, Y, 5000)
    leads.scan(today())
    (lead,) = leads_of(w.h1)
    leads.dismiss(lead, "收入录入错误，实际为 8,000 元", w.leader1, today())
    db.session.commit()
    assert leads.scan(today()).total == 0
    assert [lead.status for lead in leads_of(w.h1)] == [LeadStatus.DISMISSED]
    income(w.h1, Y + 1, 5000)  # the next year's income is low again: a new lead
    line(Y + 1, 7000)
    assert leads.scan(today()).created == {"income_below_line": 1}


def test_a_lead_goes_to_the_paired_cadre_else_the_stationed_cadre_else_nobody(app, w):
    line(Y, 6900)
    for h in (w.h1, w.h1b, w.h2):
        income(h, Y, 5000)
    w.h2.village.is_weak = False
    leads.scan(today())
    assert leads_of(w.h1)[0].assignee_cadre_id == w.c1.id
    assert leads_of(w.h1b)[0].assignee_cadre_id == w.stationed.id  # no cadre of its own: 东村's stationed cadre
    assert leads_of(w.h2)[0].assignee_cadre_id == w.c2.id


def test_a_lead_of_a_household_with_an_open_case_joins_it(app, w):
    line(Y, 6900)
    w.h1.check_medical = False
    leads.scan(today())
    (first,) = leads_of(w.h1)
    case = take_up(first, w.cadre1, today())
    income(w.h1, Y, 5000)
    leads.scan(today())
    new = leads_of(w.h1, LeadSource.INCOME_BELOW_LINE)[0]
    assert new.case_id == case.id and new.status is LeadStatus.TAKEN


def test_the_scan_is_audited_with_its_counts(app, w):
    import sqlalchemy as sa

    from relief.models import AuditEvent

    line(Y, 6900)
    income(w.h1, Y, 5000)
    leads.scan(today())
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "scan"))
    assert event.entity == "risk_lead" and event.changes == {"income_below_line": 1}
