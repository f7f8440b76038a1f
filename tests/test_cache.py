"""Figures kept between requests (relief.cache): every write renews what it changes, from any process."""
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from relief.cache import CadreScope, data_version
from relief.dates import today
from relief.extensions import db
from relief.models import Household, Role, User, VillageIncome

from .visit_support import bearer


def words(response) -> str:
    """A page's text, its figures' links taken out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


@pytest.fixture
def two_townships(f):
    east, west = f.township("东镇"), f.township("西镇")
    ve, vw = f.village(east, "东村", is_weak=True), f.village(west, "西村", is_weak=True)
    he, hw = f.household(ve, "东户"), f.household(vw, "西户")
    ce, cw = f.cadre("东干部"), f.cadre("西干部")
    f.pairing(ce, he, started_on=today() - timedelta(days=300))
    f.pairing(cw, hw, started_on=today() - timedelta(days=300))
    f.user("leader", Role.LEADER, township=east)
    f.user("admin", Role.ADMIN)
    cadre = f.user("east-cadre", Role.CADRE, cadre=ce)
    f.user("west-cadre", Role.CADRE, cadre=cw)
    f.commit()
    return dict(east=east, west=west, ve=ve, vw=vw, he=he, hw=hw, ce=ce, cw=cw, cadre=cadre)


def _visit_body(household, days_ago=0):
    return {"client_uuid": str(uuid.uuid4()), "household_id": household.id,
            "visited_on": (today() - timedelta(days=days_ago)).isoformat(), "kind": "routine", "notes": "走访"}


def test_a_write_raises_its_townships_counter_and_the_districts_only(app, f, two_townships):
    t = two_townships
    east, west, district = data_version(t["east"].id), data_version(t["west"].id), data_version(None)
    f.visit(t["cw"], t["hw"])
    f.commit()
    assert data_version(t["east"].id) == east
    assert data_version(t["west"].id) != west
    assert data_version(None) != district


def test_rows_of_no_township_renew_every_township(app, f, two_townships):
    east = data_version(two_townships["east"].id)
    f.cadre("新干部")  # cadres belong to no township
    f.commit()
    assert data_version(two_townships["east"].id) != east


def test_bulk_and_core_statements_renew_too(app, two_townships):
    t = two_townships
    before = data_version(t["west"].id)
    db.session.execute(sa.update(Household).where(Household.id == t["hw"].id).values(members=4))
    db.session.commit()
    after_update = data_version(t["west"].id)
    assert after_update != before
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # another process's connection
    with engine.begin() as conn:
        conn.execute(sa.update(VillageIncome).values(income_yuan=1))
    engine.dispose()
    db.session.commit()  # a new snapshot
    assert data_version(t["west"].id) != after_update


def test_a_cadres_version_follows_the_townships_the_cadre_works_in(app, f, two_townships):
    t = two_townships
    mine = data_version(CadreScope(t["ce"].id))
    f.visit(t["cw"], t["hw"])  # the other township
    f.commit()
    assert data_version(CadreScope(t["ce"].id)) == mine
    f.pairing(t["ce"], t["hw"])  # now the cadre works in the west too
    f.commit()
    assert data_version(CadreScope(t["ce"].id)) != mine


def test_the_leaders_dashboard_shows_a_visit_synced_after_it_was_first_shown(client, auth, f, two_townships):
    t = two_townships
    auth.login("leader")
    assert "0 / 1 户" in words(client.get("/dashboard"))  # visited within 30 days
    assert "0 / 1 户" in words(client.get("/dashboard"))  # kept
    r = client.application.test_client().post("/api/v1/visits", json=_visit_body(t["he"]), headers=bearer(t["cadre"]))
    assert r.status_code == 201
    assert "1 / 1 户" in words(client.get("/dashboard"))


def test_a_cadres_home_shows_the_visit_just_synced(client, auth, f, two_townships):
    t = two_townships
    auth.login("east-cadre")
    assert "尚未走访" in client.get("/").get_data(as_text=True)
    r = client.application.test_client().post("/api/v1/visits", json=_visit_body(t["he"], days_ago=3),
                                              headers=bearer(t["cadre"]))
    assert r.status_code == 201
    home = client.get("/").get_data(as_text=True)
    assert "尚未走访" not in home and (today() - timedelta(days=3)).isoformat() in home


def test_progress_follows_an_income_entered_by_another_process(app, client, f, two_townships):
    t = two_townships
    f.income(t["ve"], today().year, 30_000)
    f.commit()
    token = bearer(db.session.scalar(sa.select(User).where(User.username == "admin")))
    first = {v["name"]: v for v in client.get("/api/v1/villages/progress", headers=token).json}
    assert first["东村"]["income_yuan"] == 30_000
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        conn.execute(sa.update(VillageIncome).values(income_yuan=90_000))
    engine.dispose()
    again = {v["name"]: v for v in client.get("/api/v1/villages/progress", headers=token).json}
    assert again["东村"]["income_yuan"] == 90_000


def test_a_cached_body_is_not_shared_across_languages_or_viewers(client, auth, f, two_townships):
    auth.login("admin")
    assert "工作看板" in client.get("/dashboard").get_data(as_text=True)
    english = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert "工作看板" not in english
    auth.logout()
    auth.login("leader")
    leader = client.get("/dashboard").get_data(as_text=True)
    assert "西镇" not in leader  # the admin's township filter is not in a leader's page


def test_a_kept_page_expires_after_cache_seconds(app, client, auth, f, two_townships, monkeypatch):
    """Writes made outside SQLAlchemy (psql) are seen after CACHE_SECONDS at the latest."""
    import relief.cache.store as cache
    from relief.dashboard import services

    clock = [1000.0]
    monkeypatch.setattr(cache, "_clock", lambda: clock[0])
    computed = []
    real = services.page
    monkeypatch.setattr(services, "page", lambda *a, **kw: computed.append(1) or real(*a, **kw))
    auth.login("leader")
    client.get("/dashboard")
    client.get("/dashboard")
    assert len(computed) == 1
    clock[0] += app.config["CACHE_SECONDS"] + 1
    client.get("/dashboard")
    assert len(computed) == 2


def test_with_redis_one_process_computes_and_another_reads(app, f, two_townships, redis_url, monkeypatch):
    """Two app servers sharing Redis: what one computed, the other uses (while the version holds)."""
    import redis

    from relief import create_app
    from relief.cache import cached

    from .conftest import test_config

    redis.Redis.from_url(redis_url).flushdb()
    app.config["REDIS_URL"] = redis_url
    other = create_app(test_config(app.config["SQLALCHEMY_DATABASE_URI"], None, REDIS_URL=redis_url))
    computed = []

    def compute(label):
        computed.append(label)
        return {"figure": 42}

    township = two_townships["east"].id
    assert cached("shared-test", township, ("x",), lambda: compute("first")) == {"figure": 42}
    with other.app_context():
        assert cached("shared-test", township, ("x",), lambda: compute("second")) == {"figure": 42}
    assert computed == ["first"]
    f.visit(two_townships["ce"], two_townships["he"])
    f.commit()
    with other.app_context():
        cached("shared-test", township, ("x",), lambda: compute("after a write"))
    assert computed == ["first", "after a write"]


def test_a_kept_progress_answer_is_byte_for_byte_what_jsonify_writes(app, client, f, two_townships):
    from flask import jsonify

    from relief import reports

    f.income(two_townships["ve"], today().year, 30_000)
    f.commit()
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    body = client.get("/api/v1/villages/progress", headers=bearer(admin)).get_data()
    with app.test_request_context():
        expected = jsonify([{"id": v.id, "name": v.name, "township": v.township, "income_yuan": v.income_yuan,
                             "target_yuan": v.target_yuan, "progress": round(v.progress, 4)}
                            for v in reports.village_progress(admin, today().year)]).get_data()
    assert body == expected


def test_with_redis_another_release_computes_its_own(redis_url):
    """A rolling deploy: an app server of the next release never reads what the last one kept
    (its wording or classes may differ), and an unreadable entry is computed again, not a 500."""
    import redis

    from relief.cache import _MISSING, FigureCache, release

    assert len(release()) == 16 and release() == release()
    redis.Redis.from_url(redis_url).flushdb()
    key, version = ("page", 1), ("district", 7)
    FigureCache(8, 60, redis_url, "release-1").put(key, version, "<p>旧版本</p>")
    assert FigureCache(8, 60, redis_url, "release-1").get(key, version) == "<p>旧版本</p>"
    new = FigureCache(8, 60, redis_url, "release-2")
    assert new.get(key, version) is _MISSING

    redis.Redis.from_url(redis_url).set(new._redis_key(("page", 2)), b"not a pickle")
    assert new.get(("page", 2), version) is _MISSING
