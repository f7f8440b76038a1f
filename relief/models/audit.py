"""The append-only audit trail."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from relief.extensions import db

from .base import utcnow


class AuditEvent(db.Model):
    """Who did what to which record, when (UTC) and from where. Never updated or deleted."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_entity", "entity", "entity_id"),
        sa.Index("ix_audit_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: NULL for the command line
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: kept as text so the trail survives a renamed or deleted user
    username: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    #: create, update, delete, reveal, export, login, ...
    action: Mapped[str] = mapped_column(sa.String(24))
    entity: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[int | None]
    #: {"field": [before, after]} with personal numbers masked
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.String(300))
