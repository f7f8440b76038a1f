"""What each role may see: out of scope is a 404, never a 403 that reveals the row exists."""
from datetime import date

import pytest

from relief.models import Role


@pytest.fixture
def world(f):
    """Two townships, each with a village, two households and a cadre paired with one of them."""
    t1, t2 = f.township("东镇"), f.township("西镇")
    v1, v2 = f.village(t1, "东村"), f.village(t2, "西村")
    c1, c2 = f.cadre("甲干部"), f.cadre("乙干部")
    h1, h1b = f.household(v1, "张一"), f.household(v1, "张二")
    h2 = f.household(v2, "李三")
    f.pairing(c1, h1)
    f.pairing(c2, h2)
    users = {
        "cadre1": f.user("cadre1", Role.CADRE, cadre=c1),
        "leader1": f.user("leader1", Role.LEADER, township=t1),
        "inspector": f.user("inspector", Role.INSPECTOR),
        "admin": f.user("admin", Role.ADMIN),
    }
    f.commit()
    return dict(t1=t1, t2=t2, v1=v1, v2=v2, c1=c1, c2=c2, h1=h1, h1b=h1b, h2=h2, **users)


def test_cadre_fetching_another_cadres_household_gets_404(client, auth, world):
    auth.login("cadre1")
    assert client.get(f"/households/{world['h1'].id}").status_code == 200
    assert client.get(f"/households/{world['h2'].id}").status_code == 404
    assert client.get(f"/households/{world['h1b'].id}").status_code == 404  # same village, not paired


def test_cadre_list_shows_only_paired_households(client, auth, world):
    auth.login("cadre1")
    html = client.get("/households/").get_data(as_text=True)
    assert "张一" in html and "张二" not in html and "李三" not in html


def test_leader_cannot_see_another_township(client, auth, world):
    auth.login("leader1")
    assert client.get(f"/households/{world['h1b'].id}").status_code == 200
    assert client.get(f"/households/{world['h2'].id}").status_code == 404
    assert client.get(f"/villages/{world['v2'].id}").status_code == 404
    assert client.get(f"/cadres/{world['c2'].id}").status_code == 404
    html = client.get("/households/").get_data(as_text=True)
    assert "张二" in html and "李三" not in html


@pytest.mark.parametrize("who", ["admin", "inspector"])
def test_admin_and_inspector_see_everything(client, auth, world, who):
    auth.login(who)
    for h in ("h1", "h1b", "h2"):
        assert client.get(f"/households/{world[h].id}").status_code == 200
    assert client.get(f"/villages/{world['v2'].id}").status_code == 200


@pytest.mark.parametrize("who", ["cadre1", "leader1", "inspector"])
def test_only_the_admin_manages_users(client, auth, world, who):
    auth.login(who)
    assert client.get("/users/").status_code == 403


def test_reveal_of_out_of_scope_household_is_404(client, auth, world):
    from .conftest import csrf_token

    auth.login("leader1")
    token = csrf_token(client, "/")
    r = client.post(f"/households/{world['h2'].id}/reveal", data={"csrf_token": token, "field": "id_number"})
    assert r.status_code == 404


def test_scoped_helper_limits_every_model_for_a_cadre(app, world):
    import sqlalchemy as sa

    from relief.extensions import db
    from relief.models import Household, Pairing, Village
    from relief.scope import scoped

    class Signed:
        is_authenticated = True

        def __init__(self, u):
            self.__dict__.update(id=u.id, role=u.role, township_id=u.township_id, cadre_id=u.cadre_id)

    cadre = Signed(world["cadre1"])
    assert db.session.scalars(scoped(sa.select(Household.head_name), cadre, Household)).all() == ["张一"]
    assert db.session.scalars(scoped(sa.select(Village.name), cadre, Village)).all() == ["东村"]
    assert len(db.session.scalars(scoped(sa.select(Pairing), cadre)).all()) == 1
    assert db.session.scalars(scoped(sa.select(Household.id), None, Household)).all() == []


# --- the meta-test: every page goes through scoping ------------------------------------------

#: what only the west township's rows say: none of it may reach a user of the east township
WEST_WORDS = ("西村", "李三", "乙干部", "西镇", "西边的项目", "西边的诉求", "西边走访记了什么")


@pytest.fixture
def west(f, world):
    """The world's west township with one row of everything: a visit with a photo, a demand, a
    project with a photographed update, a stationed pairing, a call-back."""
    from relief.extensions import db
    from relief.models import Pairing, PairingKind, ProjectPhoto, ProjectUpdate, VisitPhoto

    v2, c2, h2 = world["v2"], world["c2"], world["h2"]
    visit = f.visit(c2, h2, notes="西边走访记了什么")
    db.session.add(VisitPhoto(visit=visit, width=1, height=1, data=b"\xff\xd8west"))
    demand = f.demand(c2, h2, text="西边的诉求")
    project = f.project(v2, name="西边的项目", cadre=c2)
    update = ProjectUpdate(project=project, on=date.today(), text="进展")
    db.session.add(update)
    db.session.add(ProjectPhoto(update=update, width=1, height=1, data=b"\xff\xd8west"))
    f.pairing(c2, village=v2, kind=PairingKind.STATIONED)
    callback = f.callback(h2, c2, date.today().strftime("%Y-%m"))
    db.session.flush()
    pairing = db.session.scalar(db.select(Pairing).where(Pairing.household_id == h2.id))
    photo = db.session.scalar(db.select(VisitPhoto.id))
    project_photo = db.session.scalar(db.select(ProjectPhoto.id))
    f.commit()
    return {"household_id": h2.id, "village_id": v2.id, "cadre_id": c2.id, "pairing_id": pairing.id,
            "visit_id": visit.id, "demand_id": demand.id, "project_id": project.id, "callback_id": callback.id,
            ("visits.photo", "photo_id"): photo, ("projects.photo", "photo_id"): project_photo,
            "user_id": world["admin"].id, "township": world["t2"].id}


def _text(response) -> str:
    """What an answer shows: its text, or every cell of a workbook."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
        return " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
                        if v is not None)
    return response.get_data(as_text=True)


#: rules that show no user's rows: the static files, the sign-in pages, the service worker and its
#: offline shell, the API description, and the public self-report form (anyone with its QR code
#: picks their township and village from all of them: scope.py, "public pages")
NO_ROWS = {"static", "auth.login", "auth.password", "visits.service_worker", "visits.offline", "api.openapi",
           "main.healthz", "monitoring.report"}
#: query parameters through which a page is asked about one row, and which west row to ask about
ASKED = {"township": "township", "village": "village_id", "cadre": "cadre_id", "household": "household_id",
         "owner": "cadre_id", "household_id": "household_id", "village_id": "village_id"}


@pytest.mark.parametrize("who", ["leader1", "cadre1"])
def test_no_page_shows_a_row_of_another_township(app, client, auth, world, west, who):
    """Every GET route, as a leader and as a cadre of the east township: a page about a west row
    (by its id in the path, or asked in the query) is a 404 or a 403, and no page ever shows a
    word of the west township's rows."""
    auth.login(who)
    year = date.today().year
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NO_ROWS:
            continue
        if rule.arguments:
            if not all(isinstance(west.get((rule.endpoint, a), west.get(a)), int) for a in rule.arguments):
                continue  # a job id or an import kind: no row of a township
            path = rule.rule
            for a in rule.arguments:
                path = path.replace(f"<int:{a}>", str(west.get((rule.endpoint, a), west.get(a))))
            r = client.get(path)
            assert r.status_code in (403, 404), (who, path, r.status_code)
            checked += 1
            continue
        base = rule.rule + (f"?year={year}&format=xlsx" if rule.endpoint == "exports.download" else "")
        joiner = "&" if "?" in base else "?"
        asked = [f"{base}{joiner}{key}={west[row]}" for key, row in ASKED.items()] + [f"{base}{joiner}township=西镇"]
        for path in [base, *asked]:
            r = client.get(path)
            if r.status_code == 200:
                shown = _text(r)
                assert not [w for w in WEST_WORDS if w in shown], (who, path, [w for w in WEST_WORDS if w in shown])
            checked += 1
    assert checked > 200
