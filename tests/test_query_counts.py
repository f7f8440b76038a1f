"""The hot pages run a fixed number of queries, whatever the number of rows they show (no query per
row), and pages kept by relief.cache run only their sign-in and version lookups when shown again."""
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from relief.dates import today
from relief.extensions import db
from relief.models import PairingKind, Role

from .visit_support import bearer


@contextmanager
def executed():
    """The SQL statements one request sends to the database (SQLite's BEGIN is sent unseen)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def queries(client, path, **kw) -> int:
    with executed() as seen:
        response = client.get(path, **kw)
    assert response.status_code == 200, (path, response.status_code)
    return len(seen)


def grow(f, cadre, township, n: int):
    """n more paired, visited households with an open demand each, n more weak villages, and n
    villages elsewhere the cadre is linked to."""
    for _ in range(n):
        village = f.village(township, is_weak=True)
        household = f.household(village)
        f.pairing(cadre, household, started_on=today() - timedelta(days=100))
        f.visit(cadre, household, visited_on=today() - timedelta(days=40))
        f.demand(cadre, household, deadline=today() + timedelta(days=3))
        other = f.cadre()
        f.pairing(other, village=village, kind=PairingKind.STATIONED)
        f.pairing(cadre, village=f.village(is_weak=True), kind=PairingKind.LINK)  # in a township of its own
        f.project(village)
        f.income(village, today().year, 50_000)
    f.commit()


@pytest.fixture
def town(f):
    township = f.township("东镇")
    cadre = f.cadre("王干部")
    stationed = f.village(township, "驻点村", is_weak=True)
    f.pairing(cadre, village=stationed, kind=PairingKind.STATIONED)
    f.user("cad", Role.CADRE, cadre=cadre)
    f.user("leader", Role.LEADER, township=township)
    f.user("admin", Role.ADMIN)
    grow(f, cadre, township, 2)
    return township, cadre


PAGES = [("cad", "/"), ("leader", "/"), ("leader", "/dashboard"), ("admin", "/dashboard"), ("leader", "/map"),
         ("admin", "/map"), ("admin", "/map/frame"),
         # the pages whose every figure is a link, and the lists those links open
         ("leader", "/visits/holidays?by=village"), ("admin", "/records/"), ("leader", "/records/"),
         ("admin", "/exports/report"), ("leader", "/exports/report"), ("leader", "/visits/"),
         ("leader", "/households/?due=overdue"), ("leader", "/demands/?status=open"), ("admin", "/villages/?weak=1"),
         ("leader", "/projects/?status=planned"), ("admin", "/cadres/?stationed=1")]


@pytest.mark.parametrize("who,path", PAGES)
def test_a_page_runs_as_many_queries_for_many_rows_as_for_few(client, auth, f, town, who, path):
    auth.login(who)
    few = queries(client, path)
    grow(f, town[1], town[0], 8)
    assert queries(client, path) == few


KEPT = [("cad", "/"), ("leader", "/dashboard"), ("admin", "/dashboard"), ("leader", "/map"),
        ("admin", "/map"), ("admin", "/map/frame")]


@pytest.mark.parametrize("who,path", KEPT)
def test_a_kept_page_shown_again_reads_only_the_sign_in(client, auth, town, who, path):
    """The session, its user and the sum of the data version counters come in one statement; while
    that sum is unchanged the page's own counters need no query."""
    auth.login(who)
    queries(client, path)
    assert queries(client, path) == 1


@pytest.mark.parametrize("who,path", KEPT)
def test_after_a_write_a_kept_page_reads_its_counters_again(client, auth, f, town, who, path):
    auth.login(who)
    queries(client, path)
    grow(f, town[1], town[0], 1)
    again = queries(client, path)
    assert again > 1  # the counters (a changed page is computed again, too)
    assert queries(client, path) == 1


def test_the_api_lists_run_a_fixed_number_of_queries(client, f, town):
    from relief.models import User

    cadre_token = bearer(db.session.scalar(db.select(User).where(User.username == "cad")))
    admin_token = bearer(db.session.scalar(db.select(User).where(User.username == "admin")))
    few = {p: queries(client, p, headers=h) for p, h in (("/api/v1/me/households", cadre_token),
                                                         ("/api/v1/villages/progress", admin_token))}
    grow(f, town[1], town[0], 8)
    assert queries(client, "/api/v1/me/households", headers=cadre_token) == few["/api/v1/me/households"] <= 3
    assert queries(client, "/api/v1/villages/progress?year=2020", headers=admin_token) \
        == few["/api/v1/villages/progress"] <= 4


def test_syncing_a_visit_runs_a_fixed_number_of_queries(client, f, town):
    """Reads are fixed; the writes are the visit, each demand it raises, one audit batch, one version."""
    from relief.models import Household, User

    token = bearer(db.session.scalar(db.select(User).where(User.username == "cad")))
    household = db.session.scalars(db.select(Household)).first()
    counts = []
    for demands in (0, 1, 3):
        body = {"client_uuid": str(uuid.uuid4()), "household_id": household.id, "visited_on": today().isoformat(),
                "kind": "routine", "notes": "走访", "demands": [{"text": f"诉求{i}"} for i in range(demands)]}
        with executed() as seen:
            assert client.post("/api/v1/visits", json=body, headers=token).status_code == 201
        counts.append(len(seen))
    assert counts[0] <= 11 and counts[2] - counts[1] <= 2  # SQLite inserts the demands one by one
