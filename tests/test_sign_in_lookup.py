"""The sign-in lookup every signed-in request makes (relief.database.Prepared): it reads the same
row, typed the same way, whether it runs on the DBAPI cursor or through SQLAlchemy, and a database
error still reaches the app as SQLAlchemy's own exception. The user it makes joins the request's
ORM session only when the request uses one, and is then the session's own."""
import hashlib
from contextlib import contextmanager
from datetime import datetime

import pytest
import sqlalchemy as sa

from relief.auth import services
from relief.database import Prepared
from relief.extensions import db
from relief.models import Role, User

from .visit_support import bearer


def _digest(headers: dict) -> str:
    return hashlib.sha256(headers["Authorization"].removeprefix("Bearer ").encode()).hexdigest()


@pytest.mark.parametrize("with_version", [False, True])
def test_the_cursor_reads_what_sqlalchemy_reads(app, f, with_version, monkeypatch):
    leader = f.user("镇领导", role=Role.LEADER, township=f.township("东镇"))
    headers = bearer(leader)
    prepared = services._TOKEN_USER[with_version]
    params = {"digest": _digest(headers)}
    with app.test_request_context("/api/v1/me/households"):
        slow = prepared._through_sqlalchemy(db.engine, params)
        monkeypatch.setattr(Prepared, "_through_sqlalchemy", lambda *_: pytest.fail("the cursor's statement failed"))
        fast = prepared.first(db.engine, params)
    assert fast == slow
    assert {k: type(v) for k, v in fast.items()} == {k: type(v) for k, v in slow.items()}
    assert fast["role"] is Role.LEADER and fast["active"] is True and fast["township_name"] == "东镇"
    assert isinstance(fast["token_expires_at"], datetime) and fast["token_expires_at"] > datetime(2020, 1, 1)
    assert ("data_version_sum" in fast) is with_version


def test_an_unknown_token_reads_no_row(app):
    with app.test_request_context("/"):
        assert services._TOKEN_USER[True].first(db.engine, {"digest": "0" * 64}) is None


def test_a_signed_in_request_sees_its_user(client, f):
    cadre_user = f.user("干部甲", role=Role.CADRE)
    response = client.get("/api/v1/me/households", headers=bearer(cadre_user))
    assert response.status_code == 200 and response.get_json() == []
    disabled = f.user("停用", role=Role.CADRE)
    headers = bearer(disabled)
    db.session.execute(sa.update(User).where(User.id == disabled.id).values(active=False))
    db.session.commit()
    assert client.get("/api/v1/me/households", headers=headers).status_code == 401


def test_a_failing_statement_raises_sqlalchemys_error(app):
    broken = Prepared(sa.select(sa.literal_column("no_such_column")).select_from(User.__table__))
    with app.test_request_context("/"), pytest.raises(sa.exc.DBAPIError):
        broken.first(db.engine, {})


def test_limited_requests_say_their_limit_and_others_do_not(client, f):
    f.user("限流", role=Role.CADRE)
    f.commit()
    attempt = client.post("/api/v1/token", json={"username": "限流", "password": "wrong password"})
    assert attempt.status_code == 401
    assert attempt.headers["X-RateLimit-Limit"] and "X-RateLimit-Remaining" in attempt.headers
    for _ in range(10):
        refused = client.post("/api/v1/token", json={"username": "限流", "password": "wrong password"})
        if refused.status_code == 429:
            break
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "X-RateLimit-Limit" not in client.get("/healthz").headers


def test_values_are_sent_as_the_database_takes_them(app, f, monkeypatch):
    """An enum or a date bound in the statement or given with the call reaches the database as
    SQLAlchemy would send it (the visit sync's reads of where a visit goes use this too)."""
    from datetime import date

    f.user("干部丁", role=Role.CADRE)
    f.user("管理员", role=Role.ADMIN)
    f.commit()
    by_role = Prepared(sa.select(sa.func.count().label("n")).select_from(User.__table__)
                       .where(User.role == Role.CADRE, User.role != sa.bindparam("other", type_=User.role.type),
                              sa.func.date(sa.literal(date(2026, 1, 2))) == sa.bindparam("day", type_=sa.Date)))
    with app.test_request_context("/"):
        params = {"other": Role.ADMIN, "day": date(2026, 1, 2)}
        assert by_role._through_sqlalchemy(db.engine, params) == {"n": 1}
        monkeypatch.setattr(Prepared, "_through_sqlalchemy", lambda *_: pytest.fail("the cursor's statement failed"))
        assert by_role.first(db.engine, params) == {"n": 1}


@contextmanager
def _transactions_begun():
    """The ORM sessions that begin a (top-level) transaction inside the block."""
    from sqlalchemy.orm import Session

    begun = []

    def count(session, transaction):
        if transaction.parent is None:
            begun.append(session)

    sa.event.listen(Session, "after_transaction_create", count)
    try:
        yield begun
    finally:
        sa.event.remove(Session, "after_transaction_create", count)


def test_a_kept_api_answer_makes_no_orm_session(client, f):
    """A cadre's households asked for again (kept under the cadre's counters): the sign-in row is
    the only statement, and no ORM session is begun for the user it makes."""
    from .visit_support import paired

    me = paired(f)
    headers = bearer(me.user)
    first = client.get("/api/v1/me/households", headers=headers)
    assert first.status_code == 200 and [h["id"] for h in first.get_json()] == [me.household.id]
    with _transactions_begun() as begun:
        again = client.get("/api/v1/me/households", headers=headers)
    sessions = [s for s in begun if s is not db.session()]  # the test's own session commits around requests
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert sessions == []


def test_the_signed_in_user_is_the_sessions_own_once_it_is_used(app, f):
    """Read again through the session later in the request, the signed-in user is the same object
    (its changes are flushed with the request's, a relationship loads); a leader's township too."""
    cadre_user = f.user("干部乙", role=Role.CADRE)
    leader = f.user("镇领导乙", role=Role.LEADER, township=f.township("西镇"))
    tokens = {person.role: bearer(person)["Authorization"].removeprefix("Bearer ") for person in (cadre_user, leader)}
    cadre_id = cadre_user.cadre_id
    for role, token in tokens.items():
        with app.test_request_context("/api/v1/me/households", headers={"Authorization": f"Bearer {token}"}):
            db.session.remove()
            user = services.user_for_token(token)
            assert db.session.scalar(sa.select(User).where(User.id == user.id)) is user
            assert db.session.get(User, user.id) is user
            assert sa.inspect(user).session is db.session()
            if role is Role.LEADER:
                assert user.township.name == "西镇" and user.township.villages == []
            else:
                assert user.township is None and user.cadre.id == cadre_id
            db.session.remove()


def test_a_failing_write_raises_sqlalchemys_error(app, f):
    """Prepared.write on the connection's cursor: a refused row is SQLAlchemy's IntegrityError."""
    f.user("重名", role=Role.CADRE)
    f.commit()
    twice = Prepared(sa.insert(User).values(username=sa.bindparam("username"), password_hash="x",
                                            role=sa.bindparam("role", type_=User.role.type)))
    with app.test_request_context("/"), pytest.raises(sa.exc.IntegrityError):
        with db.engine.begin() as conn:
            twice.write(conn, [{"username": "重名", "role": Role.CADRE}])
