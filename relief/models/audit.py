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
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
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


#: Database triggers that make the audit trail append-only, per dialect.
APPEND_ONLY_SQL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ],
}
DROP_APPEND_ONLY_SQL = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_append_only()"],
}


@sa.event.listens_for(AuditEvent.__table__, "after_create")
def _append_only(target, connection, **_kw):
    for statement in APPEND_ONLY_SQL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
