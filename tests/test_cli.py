"""The command line: demo data and create-user."""
import sqlalchemy as sa

from relief.extensions import db
from relief.models import (
    Cadre,
    Household,
    HouseholdStatus,
    Pairing,
    PairingKind,
    Rank,
    User,
    Village,
    VillageIncome,
    Visit,
    VisitKind,
)


def _count(stmt):
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def test_small_demo_is_seed_004s_district(runner, monkeypatch):
    monkeypatch.setenv("RELIEF_PASSWORD", "演示密码一二三")
    result = runner.invoke(args=["relief", "demo", "--scale", "small"])
    assert result.exit_code == 0, result.output
    assert "demo-cadre" in result.output and "演示密码一二三" in result.output
    weak = db.session.scalars(sa.select(Village.id).where(Village.is_weak)).all()
    assert len(weak) == 34
    active = Pairing.ended_on.is_(None)
    for kind, per_village in ((PairingKind.LINK, 1), (PairingKind.STATIONED, 1), (PairingKind.TEAM, 3)):
        rows = db.session.execute(sa.select(Pairing.village_id, sa.func.count()).where(Pairing.kind == kind, active)
                                  .group_by(Pairing.village_id)).all()
        assert sorted(v for v, _ in rows) == sorted(weak) and {n for _, n in rows} == {per_village}
    leaders = db.session.scalars(sa.select(Cadre.rank).join(Pairing, Pairing.cadre_id == Cadre.id)
                                 .where(Pairing.kind == PairingKind.LINK)).all()
    assert set(leaders) == {Rank.DISTRICT_LEADER}
    # every team is from the stationed cadre's unit
    stationed = dict(db.session.execute(sa.select(Pairing.village_id, Cadre.unit_id).join(Cadre)
                                        .where(Pairing.kind == PairingKind.STATIONED)).all())
    team_units = db.session.execute(sa.select(Pairing.village_id, Cadre.unit_id).join(Cadre)
                                    .where(Pairing.kind == PairingKind.TEAM)).all()
    assert all(stationed[v] == u for v, u in team_units)
    # about a hundred cadres with one or two households, none with more
    per_cadre = db.session.execute(sa.select(Pairing.cadre_id, sa.func.count())
                                   .where(Pairing.kind == PairingKind.HOUSEHOLD, active)
                                   .group_by(Pairing.cadre_id)).all()
    assert 90 <= len(per_cadre) <= 120 and {n for _, n in per_cadre} <= {1, 2}
    # every poor or monitored household has a cadre
    needing = sa.select(Household.id).where(Household.status.in_((HouseholdStatus.POOR, HouseholdStatus.MONITORED)))
    unpaired = needing.where(~Household.id.in_(sa.select(Pairing.household_id).where(active)))
    assert _count(needing) > 50 and _count(unpaired) == 0
    # a year of visits with both holidays, three years of income
    kinds = set(db.session.scalars(sa.select(Visit.kind).distinct()))
    assert {VisitKind.SPRING_FESTIVAL, VisitKind.MID_AUTUMN, VisitKind.FIELD_STAY, VisitKind.ROUTINE} <= kinds
    assert _count(sa.select(Visit.id)) > 1000
    years = db.session.scalars(sa.select(VillageIncome.year).distinct()).all()
    assert len(years) == 3
    # the demo plants 12 made-up records and 4 photos for the inspector (two used before, two taken
    # far from their day), and its honest data raises no flag
    from relief.dates import today
    from relief.flags.services import visit_flags

    year = today().year
    assert len(visit_flags(year)) + len(visit_flags(year - 1)) == 16
    cadre_user = db.session.scalar(sa.select(User).where(User.username == "demo-cadre"))
    assert _count(sa.select(Pairing.id).where(Pairing.cadre_id == cadre_user.cadre_id,
                                              Pairing.kind == PairingKind.HOUSEHOLD, active)) == 2
    assert _count(sa.select(Visit.id).where(Visit.cadre_id == cadre_user.cadre_id)) > 0


def test_demo_refuses_a_database_that_is_not_empty(runner, f, monkeypatch):
    monkeypatch.setenv("RELIEF_PASSWORD", "演示密码一二三")
    f.township()
    f.commit()
    result = runner.invoke(args=["relief", "demo"])
    assert result.exit_code != 0
    assert runner.invoke(args=["relief", "demo", "--if-empty"]).exit_code == 0


def test_demo_logins_sign_in(runner, client, auth, monkeypatch):
    monkeypatch.setenv("RELIEF_PASSWORD", "演示密码一二三")
    runner.invoke(args=["relief", "demo"])
    for name in ("demo-admin", "demo-leader", "demo-inspector", "demo-cadre"):
        assert auth.login(name, "演示密码一二三").status_code == 302
        assert client.get("/").status_code == 200
        auth.logout()


def test_create_user(runner, f, monkeypatch):
    t = f.township("东镇")
    c = f.cadre(phone="13911112222")
    f.commit()
    monkeypatch.setenv("RELIEF_PASSWORD", "足够长的命令行密码")
    assert runner.invoke(args=["relief", "create-user", "boss", "--role", "admin"]).exit_code == 0
    assert runner.invoke(args=["relief", "create-user", "lead", "--role", "leader", "--township", "东镇"]).exit_code == 0
    r = runner.invoke(args=["relief", "create-user", "cad", "--role", "cadre", "--cadre-phone", "13911112222"])
    assert r.exit_code == 0
    bad = runner.invoke(args=["relief", "create-user", "lead2", "--role", "leader", "--township", "无此镇"])
    assert bad.exit_code == 1 and "无此镇" in bad.output
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert users["lead"].township_id == t.id and users["cad"].cadre_id == c.id
    assert not users["boss"].must_change_password
