"""What the visit pages read: the list of visits, the demands a visit settled, a visit's photo."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief.extensions import db
from relief.models import Demand, Household, Visit, VisitPhoto
from relief.scope import count_beyond, scoped


def visit_list(user, where: list) -> Select:
    """The visits the user may see that match the list's filters, newest first."""
    return scoped(sa.select(Visit).where(*where), user).options(
        joinedload(Visit.cadre), joinedload(Visit.household).load_only(Household.id, Household.head_name),
        joinedload(Visit.village)).order_by(Visit.visited_on.desc(), Visit.id.desc())


def beyond(user, where: list, visible: int) -> int:
    """How many of one cadre's visits (the work record's figure) the user may not see."""
    return count_beyond(sa.select(Visit).where(*where), user, visible)


def settled_in(visit: Visit) -> list[Demand]:
    """The demands settled in this visit (the caller has fetched the visit through scope)."""
    return db.session.scalars(sa.select(Demand).where(Demand.resolved_in_visit_id == visit.id)
                              .order_by(Demand.id)).all()


def photo(user, photo_id: int):
    """(data, content type) of a visit photo, only for those who may see the visit; else None."""
    return db.session.execute(
        scoped(sa.select(VisitPhoto.data, VisitPhoto.content_type), user, Visit)
        .join(Visit, Visit.id == VisitPhoto.visit_id).where(VisitPhoto.id == photo_id)
    ).first()
