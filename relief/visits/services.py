"""Recording and editing visits: the rules shared by the visit form and POST /api/v1/visits.

record_visit is idempotent on client_uuid: the same content again returns the stored visit,
other content under the same client_uuid is a conflict. Two identical syncs arriving at the
same moment both pass the lookup; the unique constraint on client_uuid lets one insert win and
the other re-reads the winner (SQLite serialises them anyway with BEGIN IMMEDIATE).
Functions flush; the caller commits once. Every row change is audited automatically.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from relief.database import Prepared, untouched
from relief.dates import today
from relief.demands import services as demand_services
from relief.extensions import db
from relief.flags import photo_evidence
from relief.photos import parse_capture_time
from relief.models import (
    Demand,
    DemandStatus,
    Household,
    Pairing,
    PairingKind,
    Role,
    Village,
    Visit,
    VisitPhoto,
    utcnow,
)
from relief.monitoring import leads as monitoring_leads
from relief.scope import BoundUser, bound, scoped

from . import photos as photo_rules
from .schemas import VisitIn, field_errors


class VisitInvalid(ValueError):
    """Bad fields: {"field": "中文 message"}."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(fields)
        self.fields = fields


class VisitNotFound(LookupError):
    """The household or village is not one the cadre is actively paired with (shown as 404)."""


class VisitConflict(Exception):
    """The client_uuid is already used by a visit with other content (409)."""


class NotACadre(PermissionError):
    """Only a cadre signed in as themself records visits."""


@dataclass
class Target:
    household: Household | None
    village: Village
    #: when the active pairing began: no visit may be dated before it
    paired_on: date


def is_recorder(user) -> bool:
    return getattr(user, "role", None) is Role.CADRE and bool(getattr(user, "cadre_id", None))


def _target_statements(ids: bool = False):
    """The household and the village a cadre may visit, with the start of the active pairing: as
    entities (the visit form shows them), or with `ids` as the ids a new visit is stored under."""
    cadre = BoundUser(Role.CADRE)
    active = sa.and_(Pairing.cadre_id == cadre.cadre_id, Pairing.ended_on.is_(None))
    household_columns = (Household.id.label("household_id"), Village.id.label("village_id"),
                         Village.township_id) if ids else (Household, Village)
    paired_on = sa.func.min(Pairing.started_on).label("paired_on")
    household = (scoped(sa.select(*household_columns, paired_on), cadre, Household)
                 .join(Pairing, Pairing.household_id == Household.id)
                 .join(Village, Village.id == Household.village_id)
                 .where(Household.id == sa.bindparam("target_id"), active, Pairing.kind == PairingKind.HOUSEHOLD)
                 .group_by(Household.id, Village.id))
    village_columns = ((sa.null().label("household_id"), Village.id.label("village_id"), Village.township_id)
                       if ids else (Village,))
    village = (scoped(sa.select(*village_columns, paired_on), cadre, Village)
               .join(Pairing, Pairing.village_id == Village.id)
               .where(Village.id == sa.bindparam("target_id"), active, Pairing.kind != PairingKind.HOUSEHOLD)
               .group_by(Village.id))
    return household, village


# Built once: every synced visit asks.
_HOUSEHOLD_TARGET, _VILLAGE_TARGET = _target_statements()
_BY_UUID = sa.select(Visit).where(Visit.client_uuid == sa.bindparam("client_uuid"))
_UUID_USED = sa.select(Visit.id).where(Visit.client_uuid == sa.bindparam("client_uuid"))
#: where a new visit goes, and the visit already stored under its client_uuid (if any), in one query
_HOUSEHOLD_PLACE, _VILLAGE_PLACE = (Prepared(statement.add_columns(_UUID_USED.scalar_subquery().label("used_by")))
                                    for statement in _target_statements(ids=True))
_USED = Prepared(_UUID_USED)


@dataclass
class Place:
    """Where a new visit is stored: the ids of its household (or none) and village, and when the
    active pairing began."""

    household_id: int | None
    village_id: int
    township_id: int
    paired_on: date


def _read_first(user, client_uuid: str, household_id: int | None, village_id: int | None) -> tuple[bool, Place]:
    """Whether the client_uuid is already used, and where the visit goes (VisitNotFound when the
    cadre is not paired with it). Read outside the request's transaction (relief.database.Prepared),
    before it takes SQLite's write lock, which is then held only while the visit is written: with
    two workers, one checks its visit while the other writes. A visit stored meanwhile under the
    same client_uuid is caught by the unique constraint."""
    statement, target = (_HOUSEHOLD_PLACE, household_id) if household_id else (_VILLAGE_PLACE, village_id)
    row = statement.first(db.engine, {**bound(user), "target_id": target, "client_uuid": client_uuid})
    if row is None:  # not (or no longer) paired with it: a visit it stored before is still a resend
        if _USED.first(db.engine, {"client_uuid": client_uuid}) is not None:
            return True, None
        raise VisitNotFound(target)
    if row.pop("used_by") is not None:
        return True, None
    return False, Place(**row)


def target_for(user, household_id: int | None = None, village_id: int | None = None) -> Target:
    """The household or village `user` (a cadre) is actively paired with; else VisitNotFound."""
    if not is_recorder(user):
        raise NotACadre()
    if household_id:
        row = db.session.execute(_HOUSEHOLD_TARGET, {**bound(user), "target_id": household_id}).first()
        if row is None:
            raise VisitNotFound(household_id)
        return Target(row[0], row[1], row[2])
    row = db.session.execute(_VILLAGE_TARGET, {**bound(user), "target_id": village_id}).first()
    if row is None:
        raise VisitNotFound(village_id)
    return Target(None, row[0], row[1])


def open_demands_for(target: Target) -> list[Demand]:
    """Open demands a visit to this household (or this village, outside any household) may settle."""
    stmt = sa.select(Demand).where(Demand.status.in_(DemandStatus.open_statuses()))
    if target.household is not None:
        stmt = stmt.where(Demand.household_id == target.household.id)
    else:
        stmt = stmt.where(Demand.village_id == target.village.id, Demand.household_id.is_(None))
    return db.session.scalars(stmt.order_by(Demand.deadline, Demand.id)).all()


def content_hash(payload: VisitIn) -> str:
    """SHA-256 of what was submitted (photos by their digest), defaults filled in."""
    body = payload.model_dump(mode="json", exclude={"client_uuid", "photos"})
    if not body["photo_times"]:  # fields added later hash as before when unused: a resend stays a resend
        del body["photo_times"]
    if body.get("risk") is None:  # visits without a risk hash as they did before the field existed
        body.pop("risk", None)
    for d in body["demands"]:
        d["deadline"] = d["deadline"] or demand_services.default_deadline(payload.visited_on).isoformat()
    body["photos"] = [hashlib.sha256(p).hexdigest() for p in payload.photos]
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _parse(data: dict) -> VisitIn:
    try:
        payload = VisitIn.model_validate(data)
    except ValidationError as exc:
        raise VisitInvalid(field_errors(exc)) from None
    cfg = current_app.config
    errors = {}
    if len(payload.photos) > cfg["VISIT_PHOTO_MAX_COUNT"]:
        errors["photos"] = _("照片最多 %(n)d 张", n=cfg["VISIT_PHOTO_MAX_COUNT"])
    if len(payload.demands) > cfg["VISIT_MAX_DEMANDS"]:
        errors["demands"] = _("一次走访最多记录 %(n)d 条诉求", n=cfg["VISIT_MAX_DEMANDS"])
    if errors:
        raise VisitInvalid(errors)
    return payload


def _by_uuid(client_uuid: str) -> Visit | None:
    return db.session.scalar(_BY_UUID, {"client_uuid": client_uuid})


def _resend(existing: Visit, user, digest: str) -> tuple[Visit, bool]:
    if existing.cadre_id == user.cadre_id and existing.content_hash == digest:
        return existing, False
    raise VisitConflict(existing.client_uuid)


def _check_date(errors: dict, field: str, visited_on: date, paired_on: date) -> None:
    if visited_on > today():
        errors[field] = _("走访日期不能晚于今天（%(d)s）", d=today().isoformat())
    elif visited_on < paired_on:
        errors[field] = _("走访日期不能早于结对开始日期 %(d)s", d=paired_on.isoformat())


def _photos(raw: list[bytes], errors: dict, offset: int = 0, times: list[str | None] = ()) -> list[VisitPhoto]:
    out = []
    for i, data in enumerate(raw):
        try:
            p = photo_rules.process(data)
        except photo_rules.PhotoError as exc:
            errors[f"photos.{i}"] = _("第 %(n)d 张照片：%(m)s", n=offset + i + 1, m=str(exc))
            continue
        taken_at = p.taken_at or (parse_capture_time(times[i]) if i < len(times) else None)
        out.append(VisitPhoto(content_type=p.content_type, width=p.width, height=p.height, data=p.data,
                              phash=p.phash, taken_at=taken_at))
    return out


def _mark_reused(photos: list[VisitPhoto], *, visit_id: int | None, household_id: int | None, village_id: int,
                 visited_on: date) -> None:
    """Note, on each new photo, an earlier visit's photo whose picture it repeats (the reused_photo flag)."""
    for photo in photos:
        photo_evidence.note_reuse(photo, visit_id=visit_id, household_id=household_id, village_id=village_id,
                            visited_on=visited_on)


def record_visit(user, data: dict) -> tuple[Visit, bool]:
    """Store a visit from the form or the API; returns (visit, created).

    Raises NotACadre, VisitInvalid (422), VisitNotFound (404) or VisitConflict (409).
    """
    if not is_recorder(user):
        raise NotACadre()
    payload = _parse(data)
    client_uuid = str(payload.client_uuid)
    digest = content_hash(payload)
    used, place = _read_first(user, client_uuid, payload.household_id, payload.village_id)
    if used:
        return _resend(_by_uuid(client_uuid), user, digest)

    errors: dict[str, str] = {}
    if payload.risk is not None and place.household_id is None:
        errors["risk"] = _("发现返贫风险只能在走访帮扶户时记录")
    _check_date(errors, "visited_on", payload.visited_on, place.paired_on)
    deadlines = []
    for i, d in enumerate(payload.demands):
        deadline = d.deadline or demand_services.default_deadline(payload.visited_on)
        if deadline < payload.visited_on:
            errors[f"demands.{i}.deadline"] = _("第 %(n)d 条诉求：办结期限不能早于走访日期", n=i + 1)
        deadlines.append(deadline)
    settle = _settled(place.household_id, place.village_id, payload, errors)
    new_photos = _photos(payload.photos, errors, times=payload.photo_times)
    if errors:
        raise VisitInvalid(errors)
    _mark_reused(new_photos, visit_id=None, household_id=place.household_id, village_id=place.village_id,
                 visited_on=payload.visited_on)

    visit = Visit(client_uuid=client_uuid, cadre_id=user.cadre_id, household_id=place.household_id,
                  village_id=place.village_id, township_id=place.township_id, kind=payload.kind,
                  visited_on=payload.visited_on, recorded_at=utcnow(), notes=payload.notes,
                  aid_yuan=payload.aid_yuan, lat=payload.lat, lng=payload.lng, accuracy_m=payload.accuracy_m,
                  content_hash=digest, created_by_id=user.id, photos=new_photos)
    # A visit stored meanwhile under the same client_uuid fails the insert: only this visit's
    # rows are undone. When nothing else is in the request's transaction yet (the API's case),
    # the transaction itself is that savepoint.
    alone = untouched(db.session())
    try:
        with contextlib.nullcontext() if alone else db.session.begin_nested():
            db.session.add(visit)
            db.session.flush()
            raised = [Demand(visit_id=visit.id, household_id=visit.household_id, village_id=visit.village_id,
                             township_id=visit.township_id, owner_id=user.cadre_id, text=d.text,
                             raised_on=visit.visited_on, deadline=deadline)
                      for d, deadline in zip(payload.demands, deadlines, strict=True)]
            db.session.add_all(raised)
            # the visit's demands are the ones just raised: known without reading them back
            set_committed_value(visit, "demands", raised)
            for demand, resolution in settle:
                demand_services.resolve_in_visit(demand, visit, resolution)
            if payload.risk is not None:
                monitoring_leads.lead_from_visit(visit, payload.risk.type, payload.risk.note, user)
            db.session.flush()
    except IntegrityError:
        # Another request stored this client_uuid between our lookup and our insert.
        if alone:
            db.session.rollback()
        existing = _by_uuid(client_uuid)
        if existing is None:
            raise
        return _resend(existing, user, digest)
    return visit, True


def _settled(household_id: int | None, village_id: int, payload: VisitIn, errors: dict) -> list[tuple[Demand, str]]:
    """The demands this visit settles. One already settled meanwhile is skipped, not an error:
    an offline visit must not be refused because someone resolved the demand first."""
    if not payload.resolved:
        return []
    wanted = [r.id for r in payload.resolved]
    stmt = sa.select(Demand).where(Demand.id.in_(wanted))
    if household_id is not None:
        stmt = stmt.where(Demand.household_id == household_id)
    else:
        stmt = stmt.where(Demand.village_id == village_id, Demand.household_id.is_(None))
    found = {d.id: d for d in db.session.scalars(stmt)}
    out = []
    for i, r in enumerate(payload.resolved):
        demand = found.get(r.id)
        if demand is None:
            errors[f"resolved.{i}.id"] = _("第 %(n)d 条办结：这条诉求不属于本次走访的对象", n=i + 1)
        elif demand.status.is_open:
            out.append((demand, r.resolution))
    return out


# --- editing ---------------------------------------------------------------------------------

def edit_deadline(visit: Visit):
    """Until when the cadre who recorded the visit may still change it (UTC)."""
    return visit.recorded_at + timedelta(days=current_app.config["VISIT_EDIT_DAYS"])


def may_edit(user, visit: Visit) -> bool:
    """An admin always; the visit's own cadre for VISIT_EDIT_DAYS after it was recorded; nobody else."""
    if getattr(user, "role", None) is Role.ADMIN:
        return True
    return (is_recorder(user) and visit.cadre_id == user.cadre_id and utcnow() <= edit_deadline(visit))


def _earliest_pairing(visit: Visit) -> date | None:
    stmt = sa.select(sa.func.min(Pairing.started_on)).where(Pairing.cadre_id == visit.cadre_id)
    if visit.household_id:
        stmt = stmt.where(Pairing.household_id == visit.household_id)
    else:
        stmt = stmt.where(Pairing.village_id == visit.village_id, Pairing.kind != PairingKind.HOUSEHOLD)
    return db.session.scalar(stmt)


def edit_visit(user, visit: Visit, data: dict) -> None:
    """Change a visit's date, kind, notes or aid, and add photos. The content hash is kept:
    a late resend of the original offline submission is still recognised as a resend."""
    if not may_edit(user, visit):
        raise PermissionError(visit.id)
    current = {"client_uuid": visit.client_uuid, "household_id": visit.household_id,
               "village_id": None if visit.household_id else visit.village_id}
    try:
        payload = VisitIn.model_validate({**data, **current})
    except ValidationError as exc:
        raise VisitInvalid(field_errors(exc)) from None
    errors: dict[str, str] = {}
    paired_on = _earliest_pairing(visit) or date.min
    _check_date(errors, "visited_on", payload.visited_on, paired_on)
    room = current_app.config["VISIT_PHOTO_MAX_COUNT"] - len(visit.photos)
    if len(payload.photos) > room:
        errors["photos"] = _("照片最多 %(n)d 张，还可以添加 %(m)d 张",
                             n=current_app.config["VISIT_PHOTO_MAX_COUNT"], m=max(room, 0))
    new_photos = [] if "photos" in errors else _photos(payload.photos, errors, offset=len(visit.photos),
                                                       times=payload.photo_times)
    if errors:
        raise VisitInvalid(errors)
    _mark_reused(new_photos, visit_id=visit.id, household_id=visit.household_id, village_id=visit.village_id,
                 visited_on=payload.visited_on)
    visit.visited_on = payload.visited_on
    visit.kind = payload.kind
    visit.notes = payload.notes
    visit.aid_yuan = payload.aid_yuan
    visit.photos.extend(new_photos)
    if db.session.is_modified(visit) or new_photos:
        visit.updated_at = utcnow()
        visit.updated_by_id = user.id
    db.session.flush()

