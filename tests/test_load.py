"""Load and race tests against real gunicorn processes (issue 6 item 5, issue 7 item 4).

10 concurrent clients each post 100 visits to gunicorn with 2 workers: no error, none lost, none
duplicated, on SQLite and on PostgreSQL. Each client also resends some visits (a lost answer):
the resend is answered 200 and stored once.
"""
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
import sqlalchemy as sa

from bench.load import gunicorn
from relief.extensions import db
from relief.models import Role, Visit

from .conftest import PASSWORD

CLIENTS, VISITS = 10, 100
pytestmark = pytest.mark.slow


def _env():
    return {"RELIEF_ARGON2_TIME_COST": "1", "RELIEF_ARGON2_MEMORY_COST": "1024"}


@pytest.fixture
def cadres(app, f):
    village = f.village()
    out = []
    for i in range(CLIENTS):
        c = f.cadre()
        h = f.household(village)
        f.pairing(c, h, started_on=date(2024, 1, 1))
        f.user(f"load{i}", Role.CADRE, cadre=c)
        out.append((f"load{i}", h.id))
    f.commit()
    return out


def _token(base, username):
    r = requests.post(base + "/api/v1/token", json={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return r.json()["token"]


def _client(base, username, household_id):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {_token(base, username)}"
    statuses = []
    day = date.today() - timedelta(days=1)
    for i in range(VISITS):
        body = {"client_uuid": str(uuid.uuid4()), "household_id": household_id, "visited_on": day.isoformat(),
                "kind": "routine", "notes": f"{username} 第{i}次走访", "aid_yuan": i}
        r = session.post(base + "/api/v1/visits", json=body, timeout=60)
        statuses.append(r.status_code)
        if i % 10 == 0:  # the answer was "lost": the phone sends the same visit again
            again = session.post(base + "/api/v1/visits", json=body, timeout=60)
            statuses.append(("resend", again.status_code, again.json()["id"] == r.json()["id"]))
    return statuses


def test_ten_clients_post_a_hundred_visits_each(app, cadres):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with gunicorn(url, workers=2, extra_env=_env()) as base:
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(lambda c: _client(base, *c), cadres))
    firsts = [s for r in results for s in r if not isinstance(s, tuple)]
    resends = [s for r in results for s in r if isinstance(s, tuple)]
    assert firsts == [201] * (CLIENTS * VISITS)
    assert resends == [("resend", 200, True)] * (CLIENTS * VISITS // 10)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == CLIENTS * VISITS
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Visit.client_uuid)))) == CLIENTS * VISITS


def test_the_same_visit_through_two_app_processes_is_stored_once(app, cadres):
    """Two separate gunicorn processes against one database, the same visit sent to both at once."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    username, household_id = cadres[0]
    with gunicorn(url, workers=1, extra_env=_env()) as one, gunicorn(url, workers=1, extra_env=_env()) as two:
        tokens = [_token(one, username), _token(two, username)]
        for round_ in range(5):
            body = {"client_uuid": str(uuid.uuid4()), "household_id": household_id,
                    "visited_on": date.today().isoformat(), "kind": "routine", "notes": f"同一条走访 {round_}"}
            barrier = threading.Barrier(2)

            def send(base, token):
                barrier.wait()
                return requests.post(base + "/api/v1/visits", json=body, timeout=60,
                                     headers={"Authorization": f"Bearer {token}"})

            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(send, (one, two), tokens))
            assert sorted(a.status_code for a in answers) == [200, 201]  # one stored it, the other found it
            assert len({a.json()["id"] for a in answers}) == 1
            db.session.commit()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)
                                     .where(Visit.client_uuid == body["client_uuid"])) == 1


@pytest.mark.parametrize("path", ["/api/v1/token", "/login"])
def test_sign_in_limits_hold_across_workers_without_redis(app, cadres, path):
    """Two gunicorn workers, no Redis: the 5-a-minute limit per username is 5, not 5 per worker."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {**_env(), "RELIEF_LOGIN_LIMIT_PER_USER": "5 per minute", "RELIEF_LOGIN_LIMIT_PER_ADDRESS": "100 per minute"}
    with gunicorn(url, workers=2, extra_env=env) as base:
        statuses = []
        for _ in range(12):
            # a new connection each time, so both workers answer some of them
            if path == "/login":
                browser = requests.Session()
                html = browser.get(base + path, headers={"Connection": "close"}, timeout=30).text
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
                r = browser.post(base + path, data={"username": cadres[0][0], "password": "wrong password",
                                                    "csrf_token": token}, headers={"Connection": "close"}, timeout=30)
            else:
                r = requests.post(base + path, json={"username": cadres[0][0], "password": "wrong password"},
                                  headers={"Connection": "close"}, timeout=30)
            statuses.append(r.status_code)
    assert statuses.count(429) == 7, statuses
    assert 429 not in statuses[:5]
