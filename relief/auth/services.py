"""Sign-in, server-side sessions and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from relief import audit
from relief.cache import data_version_sum_column, remember_data_version_sum
from relief.database import Prepared, wants_write_lock, writing
from relief.extensions import db
from relief.models import ApiToken, Township, User, UserSession, utcnow
from relief.security import hash_password, needs_rehash, verify_password

_DUMMY_HASH: str | None = None


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, else None (in constant-ish time)."""
    global _DUMMY_HASH
    user = db.session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or "") or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User, address: str | None) -> str:
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(id=sid, user_id=user.id, created_at=now, last_seen_at=now, address=address))
    user.last_login_at = now
    audit.log(db.session, "login", "user_account", user.id, user=user)
    return sid


def end_session(sid: str | None) -> None:
    if sid:
        db.session.execute(sa.update(UserSession).where(UserSession.id == sid, UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow()))


def end_all_sessions(user_id: int) -> None:
    """End every browser session and API token of a user (disabled, password changed)."""
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))
    revoke_tokens(user_id)


def revoke_tokens(user_id: int) -> int:
    """Revoke every live API token of a user (sign-out, DELETE /api/v1/token, an admin); return how many."""
    return db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                              .values(revoked_at=utcnow())).rowcount


def live_tokens(user_id: int) -> int:
    """How many API tokens of a user still work."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()))


_SESSIONS, _USERS, _TOKENS = UserSession.__table__, User.__table__, ApiToken.__table__
_TOWNSHIPS = Township.__table__
# Built once: these run on every signed-in request, and building a select costs more than running it.
# A leader's township comes with the row: every page a leader opens reads it (scope, headings).
_TOWNSHIP_NAME = _TOWNSHIPS.c.name.label("township_name")
# A page read (GET) also reads the data version counters' sum with it (relief.cache.data_version):
# a kept page then needs no query of its own to know it is still valid.
_VERSION_SUM = data_version_sum_column()


def _session_user(with_version: bool):
    return (
        sa.select(_SESSIONS.c.created_at.label("session_created_at"),
                  _SESSIONS.c.last_seen_at.label("session_seen_at"), _TOWNSHIP_NAME, *_USERS.c,
                  *([_VERSION_SUM] if with_version else []))
        .join(_USERS, _USERS.c.id == _SESSIONS.c.user_id)
        .outerjoin(_TOWNSHIPS, _TOWNSHIPS.c.id == _USERS.c.township_id)
        .where(_SESSIONS.c.id == sa.bindparam("sid"), _SESSIONS.c.user_id == sa.bindparam("uid"),
               _SESSIONS.c.ended_at.is_(None))
    )


def _token_user(with_version: bool):
    return (
        sa.select(_TOKENS.c.expires_at.label("token_expires_at"), _TOWNSHIP_NAME, *_USERS.c,
                  *([_VERSION_SUM] if with_version else []))
        .join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
        .outerjoin(_TOWNSHIPS, _TOWNSHIPS.c.id == _USERS.c.township_id)
        .where(_TOKENS.c.token_hash == sa.bindparam("digest"), _TOKENS.c.revoked_at.is_(None))
    )


#: {reads the version sum too: the statement, prepared}
_SESSION_USER = {with_version: Prepared(_session_user(with_version)) for with_version in (False, True)}
_TOKEN_USER = {with_version: Prepared(_token_user(with_version)) for with_version in (False, True)}
_USER_KEYS = tuple(c.key for c in _USERS.c)
_USER_MAPPER, _TOWNSHIP_MAPPER = sa.inspect(User), sa.inspect(Township)


def _run(statements: dict, params: dict) -> dict | None:
    """The sign-in row, read before the request's own work and outside its transaction
    (relief.database.Prepared), so a writing request on SQLite takes its write lock only when
    its own work starts. A reading request reads the data version's sum with it; a kept page
    then needs no query of its own to know it is still valid. The row becomes a User below."""
    reads = not wants_write_lock()
    row = statements[reads].first(db.engine, params)
    if row is not None and reads:
        remember_data_version_sum(row["data_version_sum"])
    return row


def _made(mapper, values: dict):
    """An instance of a mapped class holding these column values as if loaded from the database:
    what `make_transient_to_detached` makes of a constructed object, without running the
    constructor and its attribute events (~5 times faster, and this runs on every signed-in
    request)."""
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    instance_state(obj).key = mapper.identity_key_from_primary_key((values["id"],))
    return obj


def _attach(session, obj) -> None:
    """Put a made instance in the session; columns it was not given load on first use."""
    session.add(obj)
    missing = [attr.key for attr in sa.inspect(type(obj)).column_attrs if attr.key not in obj.__dict__]
    if missing:
        session.expire(obj, missing)


#: g: the signed-in user, made before the request had an ORM session, for the session to take in
_WAITING = "relief_signed_in_waiting"


def _user_from_row(row: dict) -> User:
    """The User of a row read with the session or token: one already in the session, else one
    made from the row's columns (no second query). A user of no township joins the request's ORM
    session only when the request first uses it (_take_in_signed_in): an answer that reads
    nothing else (a kept page, a kept API answer) makes no session at all. A leader's user and
    township are put in the session at once (a township's other columns load on first use)."""
    has_session = db.session.registry.has()
    if has_session:
        found = db.session.identity_map.get(_USER_MAPPER.identity_key_from_primary_key((row["id"],)))
        if found is not None:
            return found
    user = _made(_USER_MAPPER, {key: row[key] for key in _USER_KEYS})
    if row["township_id"] is None:
        set_committed_value(user, "township", None)
        if has_session:
            _attach(db.session, user)
        else:
            g.setdefault(_WAITING, []).append(user)
        return user
    _attach(db.session, user)
    township = db.session.identity_map.get(_TOWNSHIP_MAPPER.identity_key_from_primary_key((row["township_id"],)))
    if township is None:
        township = _made(_TOWNSHIP_MAPPER, {"id": row["township_id"], "name": row["township_name"]})
        _attach(db.session, township)
    set_committed_value(user, "township", township)
    return user


@event.listens_for(Session, "after_transaction_create")
def _take_in_signed_in(session: Session, transaction) -> None:
    """The request's ORM session begins its first transaction: the signed-in user made before it
    existed becomes the session's own, before any row is read or written (a row of that user read
    later is this same object, as if it had been in the session all along)."""
    if transaction.parent is None and has_request_context() and _WAITING in g:
        if db.session.registry.has() and db.session.registry() is session:
            for obj in g.pop(_WAITING):
                _attach(session, obj)


def user_for_session(sid: str | None, user_id: int) -> User | None:
    """The user of a live session: not ended, not idle too long, not too old, user active."""
    if not sid:
        return None
    row = _run(_SESSION_USER, {"sid": sid, "uid": user_id})
    if row is None:
        return None
    now = utcnow()
    cfg = current_app.config
    idle = timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"])
    if not row["active"] or now - row["session_seen_at"] > idle or now - row["session_created_at"] > absolute:
        _touch(sid, ended=True)
        return None
    if now - row["session_seen_at"] > timedelta(seconds=60):
        _touch(sid)
    return _user_from_row(row)


def _touch(sid: str, ended: bool = False) -> None:
    """Update a session row in a short transaction of its own, so a GET never holds a write."""
    values = {"ended_at": utcnow()} if ended else {"last_seen_at": utcnow()}
    with writing(), db.engine.begin() as conn:
        conn.execute(sa.update(UserSession).where(UserSession.id == sid).values(**values))


def issue_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    days = current_app.config["API_TOKEN_DAYS"]
    db.session.add(ApiToken(token_hash=_digest(token), user_id=user.id, expires_at=utcnow() + timedelta(days=days)))
    audit.log(db.session, "token", "user_account", user.id, user=user)
    return token


def user_for_token(token: str) -> User | None:
    row = _run(_TOKEN_USER, {"digest": _digest(token)})
    if row is None or row["token_expires_at"] < utcnow() or not row["active"]:
        return None
    return _user_from_row(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(user: User, password: str, *, by_admin: bool) -> None:
    """Set a new password; one chosen by an admin on the web must be changed at next sign-in."""
    user.password_hash = hash_password(password)
    user.must_change_password = by_admin
