"""The pairing norms (DESIGN.md rule 1) for a new pairing, as pure functions with one set of messages.

Both paths that create pairings use them: `services.create_pairing` (one pairing from a page,
a transfer) and the pairings import (a file of them, where each row also counts against the
ones above it). What the database already holds is read once into `Holdings` by
`load_holdings`; `check` says what a proposed pairing would break, `take` records an accepted
one so the next proposal sees it.

- a cadre who has been deactivated gets no new pairing;
- a cadre has at most N (MAX_HOUSEHOLDS_PER_CADRE) active households;
- a village has one stationed cadre (驻村) at a time;
- a station role only for stationed kinds, the default role otherwise;
- the same cadre with the same household, or the same village in the same kind, twice is a
  duplicate (a page refuses it, an import skips it).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.models import Cadre, Household, Pairing, PairingKind, StationRole, Village

#: the role a stationed pairing gets when none is given (imports usually have no role column)
DEFAULT_ROLE = {PairingKind.STATIONED: StationRole.FIRST_SECRETARY, PairingKind.TEAM: StationRole.MEMBER}


@dataclass(frozen=True)
class Proposal:
    """A pairing someone wants to create, with what the messages name."""

    kind: PairingKind
    cadre_id: int
    cadre_name: str
    cadre_active: bool
    #: the household (户结对) or the village (挂钩, 驻村, 驻村工作队)
    target_id: int
    #: how a message names the household (村名+户主) or the village
    target_label: str
    village_id: int
    role: StationRole | None = None


@dataclass
class Holdings:
    """The active pairings the proposals are checked against."""

    #: cadre id → labels of the households they hold, oldest first
    households: dict[int, list[str]] = field(default_factory=dict)
    #: village id → the name of its stationed cadre
    stationed: dict[int, str] = field(default_factory=dict)
    #: (cadre id, kind, household or village id) of every active pairing
    active: set[tuple[int, PairingKind, int]] = field(default_factory=set)


@dataclass(frozen=True)
class Problem:
    #: "cadre", "target", "role" or "duplicate": which part of the proposal is wrong
    part: str
    message: str

    @property
    def duplicate(self) -> bool:
        return self.part == "duplicate"


def role_for(kind: PairingKind, role: StationRole | None) -> StationRole | None:
    """The role stored with a pairing: the given or default one for stationed kinds, else none."""
    return (role or DEFAULT_ROLE[kind]) if kind.is_stationed else None


def role_problem(kind: PairingKind, role: StationRole | None) -> Problem | None:
    """A station role given for a kind that has none (checkable before anything else is known)."""
    if role is not None and not kind.is_stationed:
        return Problem("role", _("只有驻村、驻村工作队结对需要填写驻村身份"))
    return None


def check(p: Proposal, holdings: Holdings, limit: int) -> list[Problem]:
    """What the proposal would break; empty when it may be created."""
    problems = [found] if (found := role_problem(p.kind, p.role)) else []
    if not p.cadre_active:
        problems.append(Problem("cadre", _("%(cadre)s已停用，不能新建结对", cadre=p.cadre_name)))
        return problems
    if (p.cadre_id, p.kind, p.target_id) in holdings.active:
        message = (_("%(cadre)s已与%(name)s结对", cadre=p.cadre_name, name=p.target_label)
                   if p.kind is PairingKind.HOUSEHOLD else
                   _("%(cadre)s已在%(village)s有同类结对", cadre=p.cadre_name, village=p.target_label))
        return problems + [Problem("duplicate", message)]
    if p.kind is PairingKind.HOUSEHOLD:
        held = holdings.households.get(p.cadre_id, [])
        if len(held) + 1 > limit:
            problems.append(Problem("cadre", _("%(cadre)s已结对%(n)d户（%(names)s），每名干部最多结对%(limit)d户",
                                               cadre=p.cadre_name, n=len(held), names="、".join(held), limit=limit)))
    if p.kind is PairingKind.STATIONED and p.village_id in holdings.stationed:
        problems.append(Problem("target", _("%(village)s已有驻村干部%(cadre)s；请先结束或调整该结对",
                                            village=p.target_label, cadre=holdings.stationed[p.village_id])))
    return problems


def take(p: Proposal, holdings: Holdings, row: int | None = None) -> None:
    """Count an accepted proposal in `holdings`; `row`, a file's row, is named in later messages."""
    def named(name: str) -> str:
        return _("%(name)s（本表第%(row)d行）", name=name, row=row) if row else name
    holdings.active.add((p.cadre_id, p.kind, p.target_id))
    if p.kind is PairingKind.HOUSEHOLD:
        holdings.households.setdefault(p.cadre_id, []).append(named(p.target_label))
    if p.kind is PairingKind.STATIONED:
        holdings.stationed[p.village_id] = named(p.cadre_name)


def load_holdings(cadre_ids: Iterable[int], village_ids: Iterable[int]) -> Holdings:
    """The active pairings of these cadres, and the stationed cadres of these villages: two queries
    per thousand ids."""
    from relief.imports.base import select_in

    out = Holdings()
    for cid, kind, hid, vid, head, vname in select_in(
            lambda keys: sa.select(Pairing.cadre_id, Pairing.kind, Pairing.household_id, Pairing.village_id,
                                   Household.head_name, Village.name)
            .outerjoin(Household, Household.id == Pairing.household_id)
            .join(Village, Village.id == Pairing.village_id)
            .where(Pairing.cadre_id.in_(keys), Pairing.ended_on.is_(None))
            .order_by(Pairing.started_on, Pairing.id), cadre_ids):
        out.active.add((cid, kind, hid if kind is PairingKind.HOUSEHOLD else vid))
        if kind is PairingKind.HOUSEHOLD:
            out.households.setdefault(cid, []).append(f"{vname}{head}")
    out.stationed.update(select_in(
        lambda keys: sa.select(Pairing.village_id, Cadre.name).join(Cadre, Cadre.id == Pairing.cadre_id)
        .where(Pairing.village_id.in_(keys), Pairing.kind == PairingKind.STATIONED, Pairing.ended_on.is_(None)),
        village_ids))
    return out

