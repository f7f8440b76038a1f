"""Fabricated visits planted among honest ones: every planted one caught with its reason, no honest one."""
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from relief.dates import to_cst
from relief.models import Role
from relief.flags.record_evidence import distance_km
from relief.flags.services import visit_flags

DAY = date(2025, 5, 1)
VLAT, VLNG = 33.95, 118.33


def utc(day: date, hh: int, mm: int = 0) -> datetime:
    """A China wall-clock time on `day`, as the naive UTC the database keeps."""
    return datetime(day.year, day.month, day.day, hh, mm) - timedelta(hours=8)


@pytest.fixture
def planted(f):
    village = f.village(lat=VLAT, lng=VLNG)
    honest_cadres = [f.cadre() for _ in range(4)]
    households = [f.household(village) for _ in range(12)]
    honest = []
    for i, h in enumerate(households):
        c = honest_cadres[i % 4]
        d = DAY + timedelta(days=i)
        honest.append(f.visit(c, h, visited_on=d, recorded_at=utc(d, 9 + i % 8, 7 * i % 60),
                              lat=VLAT + 0.003, lng=VLNG - 0.002, notes=f"第{i}户：询问家庭收入和孩子上学情况，记录在册。"))
    # honest edge cases: recorded on the 7th day late evening, 4.9 km away, 4 visits in 10 minutes,
    # short repeated notes, long notes repeated only twice
    edge = f.cadre()
    honest.append(f.visit(edge, households[0], visited_on=DAY, recorded_at=utc(DAY + timedelta(days=7), 23, 59)))
    honest.append(f.visit(edge, households[1], visited_on=DAY, recorded_at=utc(DAY, 12),
                          lat=VLAT + 4.9 / 111.2, lng=VLNG))
    quick = f.cadre()
    for k in range(4):
        honest.append(f.visit(quick, households[k], visited_on=DAY, recorded_at=utc(DAY, 14, 2 * k)))
    for k in range(5):
        honest.append(f.visit(edge, households[k], visited_on=DAY + timedelta(days=20 + k),
                              recorded_at=utc(DAY + timedelta(days=20 + k), 10), notes="走访，一切正常"))
    for k in range(2):
        honest.append(f.visit(edge, households[k], visited_on=DAY + timedelta(days=40 + k),
                              recorded_at=utc(DAY + timedelta(days=40 + k), 10), notes="送去米面油，了解节日生活安排情况。"))

    bad = f.cadre()
    late = f.visit(bad, households[2], visited_on=DAY, recorded_at=utc(DAY + timedelta(days=8), 0, 1))
    far = f.visit(bad, households[3], visited_on=DAY + timedelta(days=2), recorded_at=utc(DAY + timedelta(days=2), 9),
                  lat=VLAT + 0.09, lng=VLNG)
    burst = [f.visit(bad, households[4 + k], visited_on=DAY + timedelta(days=3),
                     recorded_at=utc(DAY + timedelta(days=3), 20, 2 * k)) for k in range(5)]
    copied_text = "帮助申请临时救助，材料已提交民政所审核。"
    copied = [f.visit(c, households[k], visited_on=DAY + timedelta(days=50 + k),
                      recorded_at=utc(DAY + timedelta(days=50 + k), 11), notes=copied_text)
              for k, c in enumerate(honest_cadres[:3])]
    f.commit()
    expected = {late.id: ["late_record"], far.id: ["far_from_village"],
                **{v.id: ["burst"] for v in burst}, **{v.id: ["copied_notes"] for v in copied}}
    return expected, [v.id for v in honest]


def test_every_planted_visit_is_caught_and_no_honest_one(app, planted):
    expected, honest = planted
    found = {fl.visit_id: fl.reasons for fl in visit_flags(2025)}
    assert found == expected
    assert not set(found) & set(honest)


def test_a_visit_with_several_signs_has_all_reasons(app, f):
    v = f.village(lat=VLAT, lng=VLNG)
    c = f.cadre()
    visit = f.visit(c, f.household(v), visited_on=DAY, recorded_at=utc(DAY + timedelta(days=30), 10),
                    lat=VLAT, lng=VLNG + 0.2)
    f.commit()
    [flag] = visit_flags(2025)
    assert flag.visit_id == visit.id and flag.reasons == ["late_record", "far_from_village"]
    assert flag.distance_km == pytest.approx(18.5, abs=0.5)


def test_thresholds_are_configurable(app, planted):
    app.config["FLAG_LATE_DAYS"] = 10
    app.config["FLAG_BURST_COUNT"] = 6
    reasons = {r for fl in visit_flags(2025) for r in fl.reasons}
    assert "late_record" not in reasons and "burst" not in reasons and "copied_notes" in reasons


def test_flags_never_change_data(app, planted):
    from relief.extensions import db

    def every_row():
        return {t.name: db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
                for t in db.metadata.sorted_tables}

    before = every_row()
    visit_flags(2025)
    db.session.commit()  # whatever the flags did in this session would be stored now
    assert every_row() == before


def test_haversine():
    assert distance_km(33.95, 118.33, 33.95 + 1 / 111.195, 118.33) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("role, status", [(Role.INSPECTOR, 200), (Role.ADMIN, 200), (Role.LEADER, 403),
                                          (Role.CADRE, 403)])
def test_the_flags_page_is_for_inspector_and_admin(client, auth, f, role, status):
    f.user("who", role)
    f.commit()
    auth.login("who")
    assert client.get("/flags/?year=2025").status_code == status


def test_the_flags_page_shows_the_evidence(client, auth, f, planted):
    expected, _ = planted
    f.user("insp", Role.INSPECTOR)
    f.commit()
    auth.login("insp")
    html = client.get("/flags/?year=2025").get_data(as_text=True)
    assert "补录超过7天" in html and "定位距村" in html and "10 分钟内" in html and "相同记录" in html
    assert "帮助申请临时救助" in html
    assert html.count('list-group-item flag-item') == len(expected)


@pytest.mark.parametrize("role, status", [(Role.INSPECTOR, 200), (Role.ADMIN, 200), (Role.LEADER, 403),
                                          (Role.CADRE, 403)])
def test_the_flags_api_answers_inspector_and_admin_only(client, f, planted, role, status):
    f.user("who", role)
    f.commit()
    token = client.post("/api/v1/token", json={"username": "who", "password": "correct horse battery"}).get_json()
    r = client.get("/api/v1/visits/flags?year=2025", headers={"Authorization": f"Bearer {token['token']}"})
    assert r.status_code == status
    if status == 200:
        expected, _ = planted
        assert {row["visit_id"]: row["reasons"] for row in r.get_json()} == expected
        assert all(set(row) >= {"visit_id", "client_uuid", "reasons"} for row in r.get_json())


def test_the_flags_api_is_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/visits/flags" in spec["paths"]


def test_each_flagged_visit_opens_its_record_with_photos_gps_and_times(client, auth, f, planted):
    expected, _ = planted
    f.user("insp", Role.INSPECTOR)
    f.commit()
    auth.login("insp")
    html = client.get("/flags/?year=2025").get_data(as_text=True)
    linked = set(int(i) for i in re.findall(r'class="fw-bold touch-link visit-link" href="/visits/(\d+)"', html))
    assert linked and len(linked) == html.count('list-group-item flag-item')
    page = client.get(f"/visits/{min(linked)}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "录入时间" in body and "位置" in body and "走访日期" in body


def _late_visit(f, cadre, household, day):
    """A visit recorded ten days after the day it claims (a late record)."""
    return f.visit(cadre, household, visited_on=day, recorded_at=utc(day + timedelta(days=10), 9))


def _late_count(html: str) -> int:
    """The dashboard's count of late records (the figure linking to /flags?reason=late_record)."""
    match = re.search(r'href="/flags/\?[^"]*reason=late_record[^"]*" data-rows="(\d+)"', html)
    assert match, "no late-record figure on the dashboard"
    return int(match.group(1))


def test_slow_flag_counts_are_kept_across_writes_with_their_time_and_the_list_is_current(app, f, admin_client,
                                                                                          monkeypatch):
    """On a province the flag counts read every visit for seconds: when the last count took
    FLAG_COUNTS_SLOW_SECONDS or more, a write does not make the next read wait for them. The
    dashboard shows the kept counts and when they were counted; the list behind a count is
    computed afresh; once FLAG_COUNTS_MAX_AGE old they are counted again, in the background."""
    from relief import cache
    from relief.extensions import db

    app.config.update(FLAG_COUNTS_SLOW_SECONDS=0, FLAG_COUNTS_MAX_AGE=600)  # every count is "slow"
    cadre, household = f.cadre(), f.household()
    _late_visit(f, cadre, household, DAY)
    f.commit()
    minutes = {to_cst(cache._wall()).strftime("%H:%M")}
    page = admin_client.get(f"/dashboard?year={DAY.year}").get_data(as_text=True)
    minutes.add(to_cst(cache._wall()).strftime("%H:%M"))
    assert _late_count(page) == 1 and "data-flags-as-of" not in page  # counted now: exact, no time shown

    second = _late_visit(f, cadre, household, DAY + timedelta(days=1))
    f.commit()
    page = admin_client.get(f"/dashboard?year={DAY.year}").get_data(as_text=True)
    assert _late_count(page) == 1  # kept: the write did not wait for a count of every visit
    note = re.search(r"data-flags-as-of>([^<]*)<", page).group(1)
    assert any(f"统计截至 {hhmm}" in note for hhmm in minutes)  # when they were counted (China time), and that lists are current
    flags_page = admin_client.get(f"/flags/?year={DAY.year}&reason=late_record").get_data(as_text=True)
    assert f"#{second.id} " in flags_page  # the list behind the count is computed afresh

    # past FLAG_COUNTS_MAX_AGE the read starts a count in the background and still answers at once
    real_wall = cache._wall
    monkeypatch.setattr(cache, "_wall", lambda: real_wall() + timedelta(seconds=601))
    f.cadre()  # a write: the page is rendered again (an unchanged district's page is kept whole)
    f.commit()
    assert _late_count(admin_client.get(f"/dashboard?year={DAY.year}").get_data(as_text=True)) == 1
    cache.wait_for_refreshes()
    db.session.expire_all()
    f.cadre()  # the next page rendered (after any write) shows the counts counted again
    f.commit()
    page = admin_client.get(f"/dashboard?year={DAY.year}").get_data(as_text=True)
    assert _late_count(page) == 2


def test_flag_counts_that_are_quick_to_count_are_always_exact(app, f, admin_client):
    """A district's counts take milliseconds: they are counted again after every write."""
    cadre, household = f.cadre(), f.household()
    _late_visit(f, cadre, household, DAY)
    f.commit()
    assert _late_count(admin_client.get(f"/dashboard?year={DAY.year}").get_data(as_text=True)) == 1
    _late_visit(f, cadre, household, DAY + timedelta(days=1))
    f.commit()
    page = admin_client.get(f"/dashboard?year={DAY.year}").get_data(as_text=True)
    assert _late_count(page) == 2 and "data-flags-as-of" not in page
