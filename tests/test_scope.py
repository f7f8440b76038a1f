"""What each role may see: out of scope is a 404, never a 403 that reveals the row exists."""
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
