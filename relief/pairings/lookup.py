"""Finding pairings, and the cadres, households and villages to pair, for the pages."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief.cadres.services import active_households
from relief.extensions import db
from relief.models import Cadre, Household, Pairing, PairingKind, Unit, Village
from relief.scope import own_township_id, pairable_cadres, scoped, township_asked

#: how many matches a search on the pairing forms shows
SEARCH_LIMIT = 20


@dataclass
class PairingFilters:
    kind: PairingKind | None = None
    township_id: int | None = None
    village_id: int | None = None
    cadre_id: int | None = None
    #: cadre's name or phone
    q: str = ""
    #: active, ended or all
    state: str = "active"


def chosen_township(user, args) -> int | None:
    """The township a pairings page is narrowed to: a leader's own, or the ?township=ID asked."""
    return township_asked(user, args.get("township")) or own_township_id(user)


def pairing_list(user, filters: PairingFilters) -> Select:
    """The pairings the user may see, filtered, in a stable order, ready to paginate."""
    stmt = (scoped(sa.select(Pairing), user)
            .join(Cadre, Cadre.id == Pairing.cadre_id)
            .join(Village, Village.id == Pairing.village_id)
            .options(joinedload(Pairing.cadre).joinedload(Cadre.unit), joinedload(Pairing.household),
                     joinedload(Pairing.village).joinedload(Village.township)))
    if filters.state == "active":
        stmt = stmt.where(Pairing.ended_on.is_(None))
    elif filters.state == "ended":
        stmt = stmt.where(Pairing.ended_on.is_not(None))
    if filters.kind:
        stmt = stmt.where(Pairing.kind == filters.kind)
    if filters.township_id:
        stmt = stmt.where(Pairing.township_id == filters.township_id)
    if filters.village_id:
        stmt = stmt.where(Pairing.village_id == filters.village_id)
    if filters.cadre_id:
        stmt = stmt.where(Pairing.cadre_id == filters.cadre_id)
    if filters.q:
        stmt = stmt.where(_cadre_matches(filters.q))
    return stmt.order_by(Pairing.township_id, Village.name, Pairing.kind, Cadre.name, Pairing.started_on.desc(),
                         Pairing.id)


def _cadre_matches(q: str):
    q = q.strip()
    if q.isdigit():
        return Cadre.phone.contains(q, autoescape=True)
    return Cadre.name.contains(q, autoescape=True)


def find_cadres(user, q: str, limit: int = SEARCH_LIMIT) -> list[tuple[Cadre, int]]:
    """Active cadres the user may pair (scope.pairable_cadres: a leader, the whole roster) whose
    name or phone matches, each with their active household count."""
    q = (q or "").strip()
    if not q:
        return []
    n = active_households()
    return db.session.execute(pairable_cadres(
        sa.select(Cadre, sa.func.coalesce(n.c.n, 0))
        .join(Unit, Unit.id == Cadre.unit_id)
        .outerjoin(n, n.c.cadre_id == Cadre.id)
        .where(Cadre.is_active, _cadre_matches(q))
        .options(joinedload(Cadre.unit))
        .order_by(Cadre.name, Cadre.id).limit(limit), user)
    ).all()


def cadre_with_load(user, cadre_id: int | None) -> tuple[Cadre, int] | None:
    """The cadre chosen on a form, with their active household count, if the user may pair them."""
    if not cadre_id:
        return None
    n = active_households()
    return db.session.execute(pairable_cadres(
        sa.select(Cadre, sa.func.coalesce(n.c.n, 0)).outerjoin(n, n.c.cadre_id == Cadre.id)
        .where(Cadre.id == cadre_id).options(joinedload(Cadre.unit)), user)
    ).first()


def pairable_cadre(user, cadre_id: int | None) -> Cadre | None:
    """The cadre a pairing form names, if the user may pair them (scope.pairable_cadres)."""
    if not cadre_id:
        return None
    return db.session.scalar(pairable_cadres(sa.select(Cadre).where(Cadre.id == cadre_id), user))


def chosen_household(user, household_id: int | None) -> Household | None:
    """The household a pairing form has chosen, if the user may see it (village and township loaded)."""
    if not household_id:
        return None
    return db.session.scalar(scoped(sa.select(Household), user).where(Household.id == household_id)
                             .options(joinedload(Household.village), joinedload(Household.township)))


def chosen_village(user, village_id: int | None) -> Village | None:
    """The village a pairing form has chosen, if the user may see it (township loaded)."""
    if not village_id:
        return None
    return db.session.scalar(scoped(sa.select(Village), user).where(Village.id == village_id)
                             .options(joinedload(Village.township)))


def villages_of(user, township_id: int | None) -> list:
    """(id, name) of the township's villages the user may see, for the list's village filter."""
    if not township_id:
        return []
    return db.session.execute(scoped(sa.select(Village.id, Village.name), user, Village)
                              .where(Village.township_id == township_id).order_by(Village.name)).all()


def history(user, pairing: Pairing) -> list[Pairing]:
    """Every pairing of the same household (or the same village in the same kind) the user may see,
    newest first."""
    same_target = (Pairing.household_id == pairing.household_id if pairing.household_id
                   else sa.and_(Pairing.village_id == pairing.village_id, Pairing.kind == pairing.kind))
    return db.session.scalars(
        scoped(sa.select(Pairing), user).where(same_target)
        .options(joinedload(Pairing.cadre)).order_by(Pairing.started_on.desc(), Pairing.id.desc())).all()


def find_households(user, q: str, limit: int = SEARCH_LIMIT) -> list[Household]:
    """Households the user may see whose head's name or phone matches."""
    q = (q or "").strip()
    if not q:
        return []
    match = Household.phone.contains(q, autoescape=True) if q.isdigit() else \
        Household.head_name.contains(q, autoescape=True)
    return db.session.scalars(
        scoped(sa.select(Household), user).where(match)
        .options(joinedload(Household.village), joinedload(Household.township))
        .order_by(Household.head_name, Household.id).limit(limit)
    ).all()


def find_villages(user, q: str, limit: int = SEARCH_LIMIT) -> list[Village]:
    q = (q or "").strip()
    if not q:
        return []
    return db.session.scalars(
        scoped(sa.select(Village), user).where(Village.name.contains(q, autoescape=True))
        .options(joinedload(Village.township)).order_by(Village.name, Village.id).limit(limit)
    ).all()


def card_pairings(user, *, village_id: int | None = None, cadre_id: int | None = None) -> list[Pairing]:
    """Active household pairings the user may see, for contact cards."""
    stmt = (scoped(sa.select(Pairing), user)
            .join(Household, Household.id == Pairing.household_id)
            .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))
            .options(joinedload(Pairing.cadre).joinedload(Cadre.unit),
                     joinedload(Pairing.household).joinedload(Household.village).joinedload(Village.township)))
    if village_id:
        stmt = stmt.where(Pairing.village_id == village_id)
    if cadre_id:
        stmt = stmt.where(Pairing.cadre_id == cadre_id)
    return db.session.scalars(stmt.order_by(Household.head_name, Pairing.id)).all()
