"""Every monitoring route that names a lead, a case or a measure answers 404 to a user who may not
see it (a leader of another township, a cadre of other households), whatever the method: the
routes are read from the app, so a route added later is checked too."""
import re

import pytest

from relief.dates import today
from relief.extensions import db
from relief.models import Measure, MeasureKind
from relief.monitoring import cases, leads

from .conftest import csrf_token
from .monitoring_support import income, leads_of, line, world


@pytest.fixture
def other(f):
    """A lead, a case and a measure of 李三 in 西镇, and the users who must not see them."""
    w = world(f)
    line(today().year, 6900)
    income(w.h2, today().year, 5000)
    income(w.h1, today().year, 5000)
    leads.scan(today())
    lead_of_h2 = leads_of(w.h2)[0]
    case = cases.take_up(lead_of_h2, w.cadre2, today())
    income(w.h2, today().year - 1, 9000)
    measure = Measure(case=case, township_id=case.township_id, kind=MeasureKind.HEALTH, cadre_id=w.c2.id,
                      started_on=today())
    db.session.add(measure)
    second = leads.lead_from_visit(f.visit(w.c2, w.h2), leads.RiskType.HOUSING, "", w.cadre2)
    second.case_id, second.status = None, leads.LeadStatus.OPEN  # a lead not taken up, for the lead routes
    db.session.commit()
    return w, {"lead_id": second.id, "case_id": case.id, "measure_id": measure.id}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/monitoring/") or rule.rule.startswith("/api/v1/monitoring/")):
            continue
        names = set(re.findall(r"<int:(\w+)>", rule.rule))
        if names:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, names


@pytest.mark.parametrize("who", ["leader1", "cadre1", "stationed"])
def test_out_of_scope_ids_are_404_on_every_monitoring_route(app, client, auth, other, who):
    _w, ids = other
    auth.login(who)
    token = csrf_token(client, "/monitoring/")
    checked = 0
    for rule, method, names in _routes(app):
        url = rule.rule
        for name in names:
            url = url.replace(f"<int:{name}>", str(ids[name]))
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token})
        assert response.status_code == 404, (who, method, url, response.status_code)
        checked += 1
    assert checked >= 14


def test_the_same_routes_answer_the_user_who_may_see_them(client, auth, other):
    _w, ids = other
    auth.login("leader2")
    assert client.get(f"/monitoring/cases/{ids['case_id']}").status_code == 200
    assert client.get(f"/monitoring/leads/{ids['lead_id']}").status_code == 200
