"""The norms page lists exactly the pairings that break DESIGN.md rule 1, inside the user's scope."""
import re
from datetime import date

import pytest

from relief.models import HouseholdStatus, PairingKind, Role, StationRole
from relief.pairings import violations

S, T, L = PairingKind.STATIONED, PairingKind.TEAM, PairingKind.LINK


@pytest.fixture
def planted(f):
    """A township with one compliant weak village and one of each violation; a second township."""
    t, other = f.township("一镇"), f.township("二镇")
    u, u2 = f.unit("区农业局"), f.unit("区财政局")

    def weak(name, township=t, link=True, stationed=True, team=(u, u, u), is_weak=True):
        v = f.village(township, name, is_weak=is_weak)
        if link:
            f.pairing(f.cadre(unit=f.unit()), village=v, kind=L)
        if stationed:
            f.pairing(f.cadre(f"{name}书记", unit=u), village=v, kind=S, role=StationRole.FIRST_SECRETARY)
        for unit in team:
            f.pairing(f.cadre(unit=unit), village=v, kind=T, role=StationRole.MEMBER)
        return v

    v = dict(
        ok=weak("合规村"),
        no_link=weak("缺挂钩村", link=False),
        no_stationed=weak("缺驻村村", stationed=False, team=()),
        small_team=weak("两人队村", team=(u, u)),
        big_team=weak("四人队村", team=(u, u, u, u)),
        foreign=weak("外单位村", team=(u, u, u2)),
        not_weak_ok=weak("普通驻村", is_weak=False, link=False),
        not_weak_mixed=weak("普通混编村", is_weak=False, link=False, stationed=False, team=(u, u, u2)),
        plain=f.village(t, "普通村"),
        outside=weak("外镇缺挂钩村", township=other, link=False),
    )
    ended_link = weak("挂钩已结束村", link=False)
    f.pairing(f.cadre(), village=ended_link, kind=L, ended_on=date(2025, 1, 1))
    v["ended_link"] = ended_link
    c = f.cadre()
    h = dict(
        poor=f.household(v["plain"], "贫困无人户"),
        monitored=f.household(v["plain"], "监测无人户", status=HouseholdStatus.MONITORED),
        lifted=f.household(v["plain"], "脱贫无人户", status=HouseholdStatus.LIFTED),
        paired=f.household(v["plain"], "已结对户"),
        ended=f.household(v["plain"], "结对已结束户"),
        outside=f.household(v["outside"], "外镇贫困户"),
    )
    f.pairing(c, h["paired"])
    f.pairing(c, h["ended"], ended_on=date(2025, 1, 1))
    f.user("admin", Role.ADMIN)
    f.user("leader", Role.LEADER, township=t)
    f.user("inspector", Role.INSPECTOR)
    f.commit()
    return t, v, h


def ids(items):
    return {x.id for x in items}


def test_the_report_finds_exactly_the_planted_violations(app, planted, f):
    t, v, h = planted
    admin = f.user(role=Role.ADMIN)
    from relief.extensions import db

    households = db.session.scalars(violations.households_without_cadre(admin)).all()
    assert ids(households) == {h["poor"].id, h["monitored"].id, h["ended"].id, h["outside"].id}
    villages = violations.village_norms(admin)
    assert ids(x for x in villages if x.missing_link) == {v["no_link"].id, v["outside"].id, v["ended_link"].id}
    assert ids(x for x in villages if x.missing_stationed) == {v["no_stationed"].id}
    assert ids(x for x in villages if x.team_problem) == {
        v["no_stationed"].id, v["small_team"].id, v["big_team"].id, v["foreign"].id, v["not_weak_mixed"].id}
    foreign = next(x for x in villages if x.id == v["foreign"].id)
    assert foreign.team == 3 and foreign.team_foreign == 1 and foreign.stationed_name == "外单位村书记"


def _listed(html: str, attr: str) -> set[int]:
    return {int(x) for x in re.findall(rf'data-{attr}="(\d+)"', html)}


def test_the_page_lists_them_with_links_to_fix_each(client, auth, planted):
    t, v, h = planted
    auth.login("admin")
    html = client.get("/pairings/violations").get_data(as_text=True)
    assert _listed(html, "household") == {h["poor"].id, h["monitored"].id, h["ended"].id, h["outside"].id}
    assert _listed(html, "village") == {v["no_link"].id, v["outside"].id, v["ended_link"].id, v["no_stationed"].id}
    assert _listed(html, "team") == {v["no_stationed"].id, v["small_team"].id, v["big_team"].id, v["foreign"].id,
                                     v["not_weak_mixed"].id}
    assert f'/pairings/new?kind=household&amp;household_id={h["poor"].id}' in html
    assert f'/pairings/new?kind=link&amp;village_id={v["no_link"].id}' in html
    assert f'/pairings/new?kind=stationed&amp;village_id={v["no_stationed"].id}' in html
    assert f'/pairings/new?kind=team&amp;village_id={v["small_team"].id}' in html
    assert "工作队 4 人（应为 3 人）" in html and "1 人不是驻村干部外单位村书记所在单位" in html
    assert "合规村" not in html and "普通驻村" not in html


def test_a_leader_sees_only_their_township(client, auth, planted):
    t, v, h = planted
    auth.login("leader")
    html = client.get("/pairings/violations").get_data(as_text=True)
    assert h["outside"].id not in _listed(html, "household") and "外镇" not in html
    assert _listed(html, "household") == {h["poor"].id, h["monitored"].id, h["ended"].id}
    assert v["no_link"].id in _listed(html, "village")


def test_a_district_user_filters_by_township(client, auth, planted):
    t, v, h = planted
    auth.login("admin")
    html = client.get(f"/pairings/violations?township={t.id}").get_data(as_text=True)
    assert "外镇" not in html and "贫困无人户" in html


def test_the_inspector_reads_the_list_without_fix_buttons(client, auth, planted):
    auth.login("inspector")
    html = client.get("/pairings/violations").get_data(as_text=True)
    assert "贫困无人户" in html and "安排干部" not in html


def test_fixing_a_violation_removes_it(client, auth, planted, f):
    t, v, h = planted
    f.pairing(f.cadre(), h["poor"])
    f.pairing(f.cadre(), village=v["no_link"], kind=L)
    f.commit()
    auth.login("admin")
    html = client.get("/pairings/violations").get_data(as_text=True)
    assert h["poor"].id not in _listed(html, "household") and v["no_link"].id not in _listed(html, "village")
