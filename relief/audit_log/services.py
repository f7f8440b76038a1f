"""The audit trail as the admin and the inspector read it: events narrowed by who, what and when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.sql import Select

from relief.dates import CST
from relief.extensions import db
from relief.models import AuditEvent

#: the actions the page's filter offers
ACTIONS = ("create", "update", "delete", "reveal", "export", "import", "login", "token", "revoke", "draw")


@dataclass
class EventQuery:
    username: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: int | None = None
    #: China dates, both included
    first: date | None = None
    last: date | None = None


def utc_bound(day: date, end: bool = False) -> datetime:
    """A China date as a naive UTC bound: its first moment, or (end) the first moment after it."""
    local = datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=CST)
    return local.astimezone(UTC).replace(tzinfo=None)


def events(q: EventQuery) -> Select:
    """The events that match, newest first."""
    stmt = sa.select(AuditEvent)
    if q.username is not None:
        stmt = stmt.where(AuditEvent.username == q.username)
    if q.action:
        stmt = stmt.where(AuditEvent.action == q.action)
    if q.entity is not None:
        stmt = stmt.where(AuditEvent.entity == q.entity)
    if q.entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == q.entity_id)
    if q.first is not None:
        stmt = stmt.where(AuditEvent.at >= utc_bound(q.first))
    if q.last is not None:
        stmt = stmt.where(AuditEvent.at < utc_bound(q.last, end=True))
    return stmt.order_by(AuditEvent.id.desc())


def entities() -> list[str]:
    """The kinds of record the trail holds events about, for the filter."""
    return db.session.scalars(sa.select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)).all()
