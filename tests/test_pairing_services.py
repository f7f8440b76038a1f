"""The pairing norms hold in the one service every path uses."""
from datetime import date

import pytest

from relief.models import PairingKind, Role
from relief.pairings.services import PairingError, create_pairing, end_pairing, transfer_pairing


def test_a_cadre_over_the_household_limit_is_refused_naming_who_they_hold(app, f):
    c = f.cadre("王干部")
    h1, h2, h3 = f.household(name="张一"), f.household(name="张二"), f.household(name="张三")
    for h in (h1, h2):
        create_pairing(None, kind=PairingKind.HOUSEHOLD, cadre=c, household=h, started_on=date(2025, 1, 1))
    with pytest.raises(PairingError) as err:
        create_pairing(None, kind=PairingKind.HOUSEHOLD, cadre=c, household=h3, started_on=date(2025, 1, 1))
    assert "张一" in str(err.value) and "张二" in str(err.value) and "最多结对2户" in str(err.value)


def test_the_limit_is_configurable(app, f):
    app.config["MAX_HOUSEHOLDS_PER_CADRE"] = 1
    c = f.cadre()
    create_pairing(None, kind=PairingKind.HOUSEHOLD, cadre=c, household=f.household(), started_on=date(2025, 1, 1))
    with pytest.raises(PairingError):
        create_pairing(None, kind=PairingKind.HOUSEHOLD, cadre=c, household=f.household(), started_on=date(2025, 1, 1))


def test_ending_keeps_history_and_frees_a_place(app, f):
    c, other = f.cadre(), f.cadre()
    h1, h2, h3 = f.household(), f.household(), f.household()
    p1 = create_pairing(None, kind=PairingKind.HOUSEHOLD, cadre=c, household=h1, started_on=date(2025, 1, 1))
    create_pairing(None, kind=PairingKind.HOUSEHOLD, cadre=c, household=h2, started_on=date(2025, 1, 1))
    new = transfer_pairing(None, p1, other, date(2025, 6, 1), "工作调动")
    assert p1.ended_on == date(2025, 6, 1) and p1.end_reason == "工作调动"
    assert new.cadre_id == other.id and new.household_id == h1.id and new.started_on == date(2025, 6, 1)
    create_pairing(None, kind=PairingKind.HOUSEHOLD, cadre=c, household=h3, started_on=date(2025, 6, 2))
    with pytest.raises(PairingError):
        end_pairing(None, p1, date(2025, 7, 1), "再次结束")


def test_a_leader_cannot_pair_outside_the_township(app, f):
    t1, t2 = f.township(), f.township()
    leader = f.user(role=Role.LEADER, township=t1)
    outside = f.household(f.village(t2))
    with pytest.raises(LookupError):
        create_pairing(leader, kind=PairingKind.HOUSEHOLD, cadre=f.cadre(), household=outside,
                       started_on=date(2025, 1, 1))
