"""The district's dashboard kept as per-township rows (relief.dashboard.services.township_rows):
after any mix of writes, the figures it shows are the ones computed from scratch, and only the
townships written to are computed again."""
import random
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from relief.dashboard import services
from relief.dashboard.cadres import CADRE_SORTS, cadre_table
from relief.dates import today
from relief.extensions import db
from relief.models import (
    Attendance,
    DemandStatus,
    Household,
    HouseholdStatus,
    MonitorCategory,
    Pairing,
    PairingKind,
    ProjectStatus,
    Role,
    User,
    VillageIncome,
    Visit,
    VisitKind,
)
from relief.reports import dashboard
from relief.reports.holidays import window

from .visit_support import bearer


@pytest.fixture
def province(f):
    """Four townships, each with weak villages, households, cadres, pairings and some history."""
    towns = []
    for t in range(4):
        town = f.township(f"第{t}镇")
        villages = [f.village(town, f"第{t}镇{v}村", is_weak=True) for v in range(2)]
        households = [f.household(villages[i % 2], f"户{t}-{i}",
                                  status=(HouseholdStatus.POOR, HouseholdStatus.MONITORED, HouseholdStatus.LIFTED)[i % 3])
                      for i in range(6)]
        cadres = [f.cadre(f"干部{t}-{c}") for c in range(3)]
        for i, h in enumerate(households[:4]):
            f.pairing(cadres[i % 3], h, started_on=today() - timedelta(days=200 + 10 * i))
        station = f.pairing(cadres[2], village=villages[0], kind=PairingKind.STATIONED,
                            started_on=today() - timedelta(days=300))
        f.attendance(station, today().year, 1, 12)
        f.visit(cadres[0], households[0], visited_on=today() - timedelta(days=100))
        towns.append(dict(town=town, villages=villages, households=households, cadres=cadres, station=station))
    f.user("admin", Role.ADMIN)
    cadre_user = f.user("cadre0", Role.CADRE, cadre=towns[0]["cadres"][0])
    f.commit()
    return dict(towns=towns, cadre_user=cadre_user)


def _admin():
    return db.session.scalar(sa.select(User).where(User.username == "admin"))


def _kept(year):
    """What the dashboard page shows the admin: the kept rows and their sums."""
    page = services.page(_admin(), year, today(), None, "overdue", True, 1, 30)
    return page.figures, page.drill


def _kept_page(year):
    return services.page(_admin(), year, today(), None, "overdue", True, 1, 30)


def _from_scratch(year):
    admin = _admin()
    return dashboard.overview(admin, year, today()), dashboard.township_rows(admin, year, today())


def _random_write(rng, f, town, year):
    """One write of a kind the dashboard counts, in `town`; returns what it was."""
    households, cadres, villages = town["households"], town["cadres"], town["villages"]
    h, c, v = rng.choice(households), rng.choice(cadres), rng.choice(villages)
    kind = rng.choice(["visit", "holiday_visit", "pairing", "end_pairing", "demand", "resolve_demand", "income",
                       "project", "attendance", "status", "rename", "monitor", "rekind"])
    if kind == "visit":
        f.visit(c, h, visited_on=today() - timedelta(days=rng.choice([0, 5, 40, 70, 95, 400])))
    elif kind == "holiday_visit":
        holiday = rng.choice([VisitKind.SPRING_FESTIVAL, VisitKind.MID_AUTUMN])
        start, end = window(holiday.value, year)
        f.visit(c, h, visited_on=min(start + timedelta(days=rng.randrange(5)), today()), kind=holiday)
    elif kind == "pairing":
        f.pairing(c, h, started_on=today() - timedelta(days=rng.choice([3, 50, 300])))
    elif kind == "end_pairing":
        p = db.session.scalar(sa.select(Pairing).where(Pairing.township_id == town["town"].id,
                                                       Pairing.kind == PairingKind.HOUSEHOLD,
                                                       Pairing.ended_on.is_(None)).limit(1))
        if p is not None:
            p.ended_on = today()
    elif kind == "demand":
        f.demand(c, h, deadline=today() + timedelta(days=rng.choice([-10, 20])))
    elif kind == "resolve_demand":
        d = f.demand(c, h, deadline=today() - timedelta(days=3))
        d.status, d.resolved_on = DemandStatus.RESOLVED, today()
    elif kind == "income":
        row = db.session.scalar(sa.select(VillageIncome).where(VillageIncome.village_id == v.id,
                                                               VillageIncome.year == year))
        if row is None:
            f.income(v, year, rng.choice([50_000, 100_000, 160_000]))
        else:
            row.income_yuan = rng.choice([50_000, 100_000, 160_000])
    elif kind == "project":
        f.project(v, status=rng.choice(list(ProjectStatus)))
    elif kind == "attendance":
        month, days = rng.randrange(2, 13), rng.choice([5, 25])
        row = db.session.scalar(sa.select(Attendance).where(Attendance.pairing_id == town["station"].id,
                                                            Attendance.year == year, Attendance.month == month))
        if row is None:
            f.attendance(town["station"], year, month, days)
        else:
            row.days = days
    elif kind == "rename":
        db.session.get(type(c), c.id).name = f"改名{rng.randrange(1000)}"
    elif kind == "rekind":  # a visit becomes a 慰问 visit inside the window, or stops being one
        visit = db.session.scalar(sa.select(Visit).where(Visit.township_id == town["town"].id).order_by(Visit.id)
                                  .limit(1))
        if visit is not None:
            start, _end = window("spring_festival", year)
            if visit.kind is VisitKind.SPRING_FESTIVAL:
                visit.kind = VisitKind.ROUTINE
            else:
                visit.kind, visit.visited_on = VisitKind.SPRING_FESTIVAL, min(start, today())
    elif kind == "monitor":
        row = db.session.get(Household, h.id)
        row.status, row.monitor_category = HouseholdStatus.MONITORED, rng.choice(list(MonitorCategory))
    elif kind == "status":
        row = db.session.get(Household, h.id)
        if row.status is HouseholdStatus.LIFTED:
            row.status, row.lifted_year = HouseholdStatus.POOR, None
        elif row.status is HouseholdStatus.POOR:
            row.status, row.lifted_year = HouseholdStatus.LIFTED, year
    return kind


def test_after_random_writes_the_kept_figures_are_the_figures_from_scratch(app, f, province):
    rng = random.Random(17)
    year = today().year
    _kept(year)
    for _round in range(12):
        for _ in range(rng.randint(1, 4)):
            _random_write(rng, f, rng.choice(province["towns"]), year)
        f.commit()
        kept, kept_rows = _kept(year)
        scratch, scratch_rows = _from_scratch(year)
        assert kept_rows == scratch_rows
        assert kept == scratch
        assert kept.attendance.cadres_below == scratch.attendance.cadres_below
        assert _kept_page(year).monitoring == services.monitoring_block(_admin(), year, today(), None)
        sort, descending, page = rng.choice(CADRE_SORTS), rng.random() < 0.5, rng.choice([1, 2])
        kept_cadres = services.page(_admin(), year, today(), None, sort, descending, page, 5)
        assert (kept_cadres.cadres, kept_cadres.total) == cadre_table(_admin(), year, today(), None, sort, descending,
                                                                      page, 5)
    assert kept.households.needing > 0 and sum(kept.months) > 0  # not sums of nothing


def _count_computations(monkeypatch, part="visit_figures") -> list:
    """The townships each computation of one part of the township rows (the figures that read
    visits, or the others) was asked for (None: all), in order."""
    computed = []
    real = getattr(dashboard, part)

    def counted(user, year, now, townships=None):
        computed.append(townships)
        return real(user, year, now, townships)

    monkeypatch.setattr(dashboard, part, counted)
    return computed


def test_after_a_visit_posted_through_the_api_only_its_township_is_computed_again(app, client, f, province,
                                                                                    monkeypatch):
    year = today().year
    computed = _count_computations(monkeypatch)
    holidays = _count_computations(monkeypatch, "holiday_figures")
    others = _count_computations(monkeypatch, "other_figures")
    taken = _count_taken_in(monkeypatch)
    _kept(year)
    assert computed == holidays == others == [None]  # the first read computes every township in one go
    first = province["towns"][0]
    body = {"client_uuid": str(uuid.uuid4()), "household_id": first["households"][0].id,
            "visited_on": today().isoformat(), "kind": "routine", "notes": "走访"}
    response = client.post("/api/v1/visits", json=body, headers=bearer(province["cadre_user"]))
    assert response.status_code == 201
    db.session.expire_all()
    kept, kept_rows = _kept(year)
    # the visit is taken into its township's kept figures: no township is counted again
    assert computed == [None] and taken == [[first["town"].id]]
    # a routine visit renews no holiday coverage, no demand, village, project or attendance figure
    assert holidays == others == [None]
    assert (kept, kept_rows) == _from_scratch(year)
    assert {r.id: r.households.visited_30 for r in kept_rows}[first["town"].id] == 1


def test_an_income_or_attendance_row_renews_only_its_township(app, f, province, monkeypatch):
    """An income row names no township, nor does an attendance row: they count in their village's,
    their pairing's township, and only that township's row is computed again."""
    year = today().year
    computed = _count_computations(monkeypatch, "other_figures")
    _kept(year)
    second, third = province["towns"][1], province["towns"][2]
    f.income(second["villages"][0], year, 160_000)
    f.commit()
    kept, _rows = _kept(year)
    assert computed == [None, [second["town"].id]]
    assert kept.villages.reached == 1
    f.attendance(third["station"], year, 2, 3)
    f.commit()
    kept, rows = _kept(year)
    assert computed == [None, [second["town"].id], [third["town"].id]]
    assert {r.id: r.attendance.cadres_below for r in rows}[third["town"].id] == 1
    row = db.session.scalar(sa.select(VillageIncome).where(VillageIncome.village_id == second["villages"][0].id))
    db.session.delete(row)  # a deleted row counts in its township too
    f.commit()
    kept, rows = _kept(year)
    assert computed[-1] == [second["town"].id] and kept.villages.reached == 0
    assert (kept, rows) == _from_scratch(year)


def _count_taken_in(monkeypatch) -> list:
    """The townships whose kept figures that read visits took visits in, per read."""
    from relief.reports import townships

    taken = []
    real = townships.visits_added

    def counted(year, now, kept, visits):
        taken.append(sorted(visits))
        return real(year, now, kept, visits)

    monkeypatch.setattr(townships, "visits_added", counted)
    return taken


def _assert_as_from_scratch(rng, year):
    kept, kept_rows = _kept(year)
    scratch, scratch_rows = _from_scratch(year)
    assert kept_rows == scratch_rows
    assert kept == scratch
    sort, descending, page = rng.choice(CADRE_SORTS), rng.random() < 0.5, rng.choice([1, 2])
    kept_cadres = services.page(_admin(), year, today(), None, sort, descending, page, 5)
    assert (kept_cadres.cadres, kept_cadres.total) == cadre_table(_admin(), year, today(), None, sort, descending,
                                                                  page, 5)
    merged = services.page(_admin(), year, today(), None, "visits", True, 1, 50)  # every cadre, in one page
    assert (merged.cadres, merged.total) == cadre_table(_admin(), year, today(), None, "visits", True, 1, 50)
    return kept


def _random_visit(rng, f, towns, year):
    """A visit of any date, kind and visitor (a cadre of another township, a village's visit)."""
    town = rng.choice(towns)
    visitor = rng.choice(rng.choice(towns)["cadres"] if rng.random() < 0.2 else town["cadres"])
    days = rng.choice([0, 1, 5, 29, 30, 31, 45, 60, 61, 89, 90, 91, 120, 200, 400])
    kind = rng.choice([VisitKind.ROUTINE] * 4 + [VisitKind.SPRING_FESTIVAL, VisitKind.MID_AUTUMN])
    if rng.random() < 0.15:
        return f.visit(visitor, village=rng.choice(town["villages"]), visited_on=today() - timedelta(days=days),
                       kind=kind)
    return f.visit(visitor, rng.choice(town["households"]), visited_on=today() - timedelta(days=days), kind=kind)


def test_visits_taken_into_kept_figures_give_the_figures_from_scratch(app, f, province, monkeypatch):
    """Reads between bursts of visits (the writes taken into the kept figures), edits, deletes
    and re-kindings of visits, and other writes (each township counted again): after every
    burst the figures and the cadre table are the ones computed from scratch."""
    rng = random.Random(23)
    year = today().year
    towns = province["towns"]
    computed = _count_computations(monkeypatch)
    taken = _count_taken_in(monkeypatch)
    _kept(year)
    visits = []
    for _round in range(40):
        roll = rng.random()
        if roll < 0.6:
            visits += [_random_visit(rng, f, towns, year) for _ in range(rng.randint(1, 4))]
        elif roll < 0.75 and visits:
            visit = db.session.get(Visit, rng.choice(visits).id)
            if rng.random() < 0.5:
                visit.visited_on = today() - timedelta(days=rng.choice([0, 20, 70, 100]))
            else:
                visit.kind = VisitKind.ROUTINE if visit.kind is not VisitKind.ROUTINE else VisitKind.SPRING_FESTIVAL
        elif roll < 0.85 and visits:
            gone = visits.pop(rng.randrange(len(visits)))
            db.session.delete(db.session.get(Visit, gone.id))
        else:
            _random_write(rng, f, rng.choice(towns), year)
        if rng.random() < 0.3:  # a visit and another write in one flush: counted again
            town = rng.choice(towns)
            visits.append(f.visit(town["cadres"][0], town["households"][1], visited_on=today()))
            f.demand(town["cadres"][0], town["households"][1])
        f.commit()
        kept = _assert_as_from_scratch(rng, year)
    assert len(taken) >= 15 and len(computed) >= 10  # both ways were taken, many times
    assert any(len(t) > 1 for t in taken)  # visits to several townships taken in by one read
    assert kept.households.paired > 0 and sum(kept.months) > 0


def test_kept_figures_taking_visits_in_are_counted_afresh_once_cache_seconds_old(app, f, province, monkeypatch):
    """A write made outside SQLAlchemy would go unseen by figures that only ever take visits in:
    they are computed again CACHE_SECONDS after they were first computed at the latest."""
    import relief.cache.townships as kept_townships

    year = today().year
    computed = _count_computations(monkeypatch)
    taken = _count_taken_in(monkeypatch)
    clock = [1_000_000.0]
    monkeypatch.setattr(kept_townships, "_wall", lambda: clock[0])
    _kept(year)
    town = province["towns"][3]
    f.visit(town["cadres"][1], town["households"][1])
    f.commit()
    _kept(year)
    assert computed == [None] and taken == [[town["town"].id]]
    clock[0] += app.config["CACHE_SECONDS"] + 1
    f.visit(town["cadres"][1], town["households"][1])
    f.commit()
    kept, rows = _kept(year)
    assert computed == [None, None] and len(taken) == 1
    assert (kept, rows) == _from_scratch(year)


def test_the_district_cadre_table_kept_merged_is_the_table_merged_from_scratch():
    """MergedCadres (what the district's page shows) after parts of one, a few and many townships
    changed, in every order and on several pages: the same rows as merging every part again."""
    from datetime import date

    from relief.dashboard.cadres import CadrePart, MergedCadres, merged_cadre_table

    rng = random.Random(3)
    names = {cid: (f"干部{rng.randrange(40):02d}", f"单位{cid % 7}") for cid in range(1, 400)}

    def part():
        cadres = rng.sample(sorted(names), rng.randrange(20, 60))
        return {cid: CadrePart(rng.randrange(4), rng.randrange(3),
                               rng.choice([None, date(2026, rng.randrange(1, 13), rng.randrange(1, 28))]),
                               rng.randrange(9), rng.random() < 0.9) for cid in cadres}

    parts = {tid: part() for tid in range(1, 21)}
    kept = MergedCadres()
    for changed in [0, 1, 3, 9, 2, 1, 10, 0, 1]:
        for tid in rng.sample(sorted(parts), changed):
            parts[tid] = part()  # a township computed again: a new part
        for sort in CADRE_SORTS:
            for descending in (True, False):
                for page in (1, 3):
                    assert kept.table(dict(parts), names, sort, descending, page, 25) == \
                        merged_cadre_table(parts.values(), names, sort, descending, page, 25), (sort, descending)


def test_a_holiday_visit_renews_its_townships_holiday_coverage_and_a_routine_one_does_not(app, f, province,
                                                                                          monkeypatch):
    """Holiday coverage is kept under a counter that only writes which may change it raise: a 慰问
    visit written, or a visit that stops being one; a routine visit leaves it kept."""
    year = today().year
    start, _end = window("mid_autumn", year)  # the fixture's pairings began before it
    holidays = _count_computations(monkeypatch, "holiday_figures")
    town = province["towns"][1]
    paired = town["households"][0]  # paired with cadres[0] in the fixture
    autumn = lambda rows: {r.id: r.holidays[1].covered for r in rows}[town["town"].id]  # noqa: E731
    _kept_rows = _kept(year)[1]
    assert autumn(_kept_rows) == 0
    f.visit(town["cadres"][0], paired, visited_on=today() - timedelta(days=1))  # routine
    f.commit()
    assert autumn(_kept(year)[1]) == 0 and holidays == [None]
    visit = f.visit(town["cadres"][0], paired, visited_on=min(start, today()), kind=VisitKind.MID_AUTUMN)
    f.commit()
    kept, rows = _kept(year)
    assert autumn(rows) == 1 and holidays == [None, [town["town"].id]]
    assert (kept, rows) == _from_scratch(year)
    db.session.get(Visit, visit.id).kind = VisitKind.ROUTINE  # no longer a 慰问 visit
    f.commit()
    db.session.expire_all()
    kept, rows = _kept(year)
    assert autumn(rows) == 0
    assert (kept, rows) == _from_scratch(year)


def test_the_visits_kept_for_taking_in_are_pruned_and_figures_older_than_them_counted_again(app, f, province,
                                                                                           monkeypatch):
    """township_delta keeps a township's last KEEP_DELTAS versions: a kept value older than those
    cannot tell what was added since, and is computed again (the figures stay exact)."""
    from relief.cache import counters
    from relief.models import TownshipDelta

    monkeypatch.setattr(counters, "KEEP_DELTAS", 2)
    monkeypatch.setattr(counters, "PRUNE_EVERY", 1)
    year = today().year
    computed = _count_computations(monkeypatch)
    taken = _count_taken_in(monkeypatch)
    town = province["towns"][2]
    _kept(year)
    for _ in range(5):
        f.visit(town["cadres"][0], town["households"][0])
        f.commit()
    kept_deltas = db.session.scalar(sa.select(sa.func.count()).select_from(TownshipDelta)
                                    .where(TownshipDelta.township_id == town["town"].id))
    assert kept_deltas == 2
    kept, rows = _kept(year)
    assert computed == [None, [town["town"].id]] and taken == []
    f.visit(town["cadres"][0], town["households"][0])  # one version on: taken in again
    f.commit()
    kept, rows = _kept(year)
    assert computed == [None, [town["town"].id]] and taken == [[town["town"].id]]
    assert (kept, rows) == _from_scratch(year)
