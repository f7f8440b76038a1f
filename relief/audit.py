"""The audit trail: every ORM write to an audited model is recorded automatically."""
from __future__ import annotations

import functools

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from relief.database import Prepared
from relief.ids import mask_id, mask_phone
from relief.models import (
    Attendance,
    AuditEvent,
    Cadre,
    Callback,
    Demand,
    Household,
    HouseholdIncome,
    IncomeTarget,
    Measure,
    MonitorCase,
    MonitorLine,
    Pairing,
    Project,
    ProjectUpdate,
    RiskLead,
    StepRecord,
    Township,
    Unit,
    User,
    Village,
    VillageIncome,
    Visit,
    utcnow,
)

AUDITED = (Attendance, Cadre, Callback, Demand, Household, HouseholdIncome, IncomeTarget, Pairing, Project,
           ProjectUpdate, Township, Unit, User, Village, VillageIncome, Visit,
           MonitorLine, RiskLead, MonitorCase, StepRecord, Measure)
_SKIPPED = {"updated_at", "content_hash", "created_at", "last_login_at"}
_SECRET = {"password_hash"}
_MASKERS = {"id_number": mask_id, "phone": mask_phone, "subject_id_number": mask_id, "subject_phone": mask_phone}


def _actor():
    """The signed-in user of this request, or None (command line)."""
    if has_request_context():
        from flask_login import current_user

        if current_user and getattr(current_user, "is_authenticated", False):
            return current_user._get_current_object()
    return None


def _address():
    return request.remote_addr if has_request_context() else None


def _plain(value, field: str):
    if field in _MASKERS and isinstance(value, str):
        return _MASKERS[field](value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):  # enums
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


@functools.cache
def _shown_keys(mapper) -> tuple[str, ...]:
    """The columns of a mapped class that the trail shows."""
    return tuple(a.key for a in mapper.column_attrs if a.key not in _SKIPPED and a.key != "id")


def _created(state) -> dict:
    """A new row's values as flushed: what the session holds (a new row has no history to compare)."""
    values = state.dict
    out = {}
    for key in _shown_keys(state.mapper):
        if key in _SECRET:
            out[key] = [None, "***"]
            continue
        after = values.get(key)
        if after is not None:
            out[key] = [None, _plain(after, key)]
    return out


def _changes(obj, mode: str, old: dict) -> dict:
    state = sa.inspect(obj)
    if mode == "create":
        return _created(state)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIPPED or key == "id":
            continue
        hist = state.attrs[key].history
        if mode == "update" and not hist.has_changes():
            continue
        if key in old:
            before = old[key]
        else:
            before = hist.deleted[0] if hist.deleted else (None if mode == "create" else
                                                          (hist.unchanged[0] if hist.unchanged else None))
        after = hist.added[0] if hist.added else (hist.unchanged[0] if hist.unchanged else None)
        if mode == "create":
            before = None
        if mode == "delete":
            after = None
        if key in _SECRET:
            before, after = ("***" if before else None), "***"
        if mode != "update" and after is None and before is None:
            continue
        if mode == "update" and before == after:
            continue
        out[key] = [_plain(before, key), _plain(after, key)]
    return out


def event_row(action: str, entity: str, entity_id, changes=None, note=None, user=None) -> dict:
    user = user if user is not None else _actor()
    return {
        "at": utcnow(),
        "user_id": getattr(user, "id", None),
        # a web request without a signed-in user: the public self-report page (防返贫监测)
        "username": getattr(user, "username", None) or ("public" if has_request_context() else "cli"),
        "address": _address(),
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": changes,
        "note": note,
    }


_INSERT_EVENTS = sa.insert(AuditEvent)
#: the rows of a flush's changes, written on its connection's cursor (relief.database.Prepared)
_RECORD_EVENTS = Prepared(sa.insert(AuditEvent).values(
    {column.key: sa.bindparam(column.key, type_=column.type) for column in AuditEvent.__table__.c if column.key != "id"}))


def log(session: Session, action: str, entity: str, entity_id=None, *, note=None, user=None, changes=None):
    """Record an event that is not a row change: a reveal, an export, a sign-in, an import."""
    session.execute(_INSERT_EVENTS, [event_row(action, entity, entity_id, changes, note, user)])


@event.listens_for(Session, "before_flush")
def _remember_old_values(session: Session, _ctx, _instances) -> None:
    """Read the stored values of changed columns whose old value was never loaded (expired)."""
    old = session.info.setdefault("audit_old", {})
    for obj in session.dirty:
        if not isinstance(obj, AUDITED):
            continue
        state = sa.inspect(obj)
        missing = [a.key for a in state.mapper.column_attrs
                   if state.attrs[a.key].history.added and not state.attrs[a.key].history.deleted]
        if not missing or state.identity is None:
            continue
        table = state.mapper.local_table
        row = session.connection().execute(
            sa.select(*[table.c[k] for k in missing]).where(table.c.id == state.identity[0])).first()
        if row is not None:
            old[id(obj)] = dict(zip(missing, row))


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, _ctx) -> None:
    rows = []
    old = session.info.pop("audit_old", {})
    for mode, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not isinstance(obj, AUDITED):
                continue
            if mode == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, mode, old.get(id(obj), {}))
            if mode == "update" and not changes:
                continue
            ident = sa.inspect(obj).mapper.primary_key_from_instance(obj)[0]
            rows.append(event_row(mode, obj.__tablename__, ident, changes))
    if rows:
        _RECORD_EVENTS.write(session.connection(), rows)


# -- showing the trail ------------------------------------------------------------------------

#: what each action is called on the audit page (the stored code stays English)
ACTION_LABELS = {
    "create": _l("新增"), "update": _l("修改"), "delete": _l("删除"), "reveal": _l("查看完整号码"),
    "export": _l("导出"), "import": _l("导入"), "login": _l("登录"), "token": _l("获取接口令牌"),
    "draw": _l("抽取回访样本"), "revoke": _l("撤销接口令牌"),
}
#: what each kind of record is called (AuditEvent.entity: a table name, or the kind of event)
ENTITY_LABELS = {
    "attendance": _l("驻村考勤"), "cadre": _l("干部"), "callback": _l("回访"), "demand": _l("诉求"),
    "household": _l("帮扶户"), "household_income": _l("户人均纯收入"), "income_target": _l("收入目标"),
    "pairing": _l("结对"), "project": _l("帮扶项目"), "project_update": _l("项目进展"), "township": _l("乡镇"),
    "unit": _l("单位"), "user_account": _l("用户"), "village": _l("村"), "village_income": _l("村集体经济收入"),
    "visit": _l("走访"), "import": _l("名册导入"), "export": _l("帮扶成效导出"), "record": _l("实绩档案"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS[code]) if code in ACTION_LABELS else code


def entity_label(code: str) -> str:
    return str(ENTITY_LABELS[code]) if code in ENTITY_LABELS else code


@dataclass
class ShownChange:
    """One line of an event's changes: a field changed from one value to another, or (an import's
    or an export's own figures) a single value."""

    field: str
    before: object = None
    after: object = None
    value: object = None
    single: bool = False


def shown_changes(changes: dict | None) -> list[ShownChange]:
    """An event's changes as lines: [before, after] pairs as a change, anything else as a value."""
    out = []
    for key, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            out.append(ShownChange(key, before=value[0], after=value[1]))
        else:
            out.append(ShownChange(key, value=value, single=True))
    return out
