"""The audit trail: automatic, masked, append-only, and readable by the admin and inspector."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from relief.extensions import db
from relief.models import AuditEvent, HouseholdStatus, Role


def _events(entity):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)).all()


def test_create_update_delete_are_recorded_with_before_and_after(f):
    h = f.household(name="张三", phone="13812345678")
    f.commit()
    h.status = HouseholdStatus.LIFTED
    h.lifted_year = 2025
    h.phone = "13987654321"
    f.commit()
    created, updated = _events("household")
    assert created.action == "create" and created.entity_id == h.id
    assert created.changes["id_number"][1] == h.id_number[:6] + "********" + h.id_number[-4:]
    assert updated.action == "update"
    assert updated.changes["status"] == ["poor", "lifted"]
    assert updated.changes["phone"] == ["138****5678", "139****4321"]
    assert "id_number" not in updated.changes


def test_passwords_never_reach_the_trail(f):
    f.user("bob", Role.ADMIN)
    f.commit()
    [event] = _events("user_account")
    assert event.changes["password_hash"] == [None, "***"]


def test_audit_events_cannot_be_changed_or_deleted(f):
    f.household()
    f.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(sa.update(AuditEvent).values(username="someone else"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(sa.delete(AuditEvent))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) > 0


@pytest.mark.parametrize("role, status", [(Role.ADMIN, 200), (Role.INSPECTOR, 200), (Role.LEADER, 403)])
def test_the_audit_page_is_for_admin_and_inspector(client, auth, f, role, status):
    f.user("who", role)
    f.commit()
    auth.login("who")
    assert client.get("/audit/").status_code == status


def test_the_audit_page_filters(client, auth, f):
    f.user("who", Role.INSPECTOR)
    h = f.household(name="张三")
    f.commit()
    auth.login("who")
    html = client.get(f"/audit/?entity=household&entity_id={h.id}").get_data(as_text=True)
    assert "帮扶户 #%d" % h.id in html and "共 1 条" in html
    assert "共 1 条" in client.get("/audit/?action=login").get_data(as_text=True)


def test_an_unreadable_audit_filter_says_so_beside_its_field(client, auth, f):
    f.user("who", Role.INSPECTOR)
    f.commit()
    auth.login("who")
    html = client.get("/audit/?action=login&entity_id=abc&from=2026-13-45").get_data(as_text=True)
    assert 'id="entity_id-error">记录编号应为数字，此条件未使用' in html
    assert 'id="from-error">日期应为 年-月-日，如 2026-01-31，此条件未使用' in html
    assert "共 1 条" in html  # the readable filter still applies; the sign-in is listed
    html = client.get("/audit/?from=2026-03-02&to=2026-03-01").get_data(as_text=True)
    assert 'id="to-error">截止日期不能早于起始日期' in html and "共 0 条" in html
    html = client.get("/audit/?action=login&from=2000-01-01&to=2099-12-31&entity_id=").get_data(as_text=True)
    assert "is-invalid" not in html and "共 1 条" in html


def test_the_audit_page_shows_single_values_as_values_in_the_ui_language(client, auth, f):
    from relief import audit

    f.user("who", Role.INSPECTOR)
    audit.log(db.session, "import", "import", None, note="households 名册.xlsx",
              changes={"kind": "households", "file": "名册.xlsx", "rows": 12, "created": 10})
    f.household(name="张三")
    f.commit()
    auth.login("who")
    html = client.get("/audit/").get_data(as_text=True)
    changes = re.findall(r"<li><code>(\w+)</code>: ([^<]*)</li>", html)
    assert ("kind", "households") in changes and ("rows", "12") in changes  # not "h → o", not "→"
    assert ("head_name", "— → 张三") in changes  # a change is still before → after
    cells = re.findall(r"<td>([^<#]+?)(?: #\d+)?(?:<div|</td>)", html)
    assert "导入" in cells and "名册导入" in cells and "新增" in cells and "帮扶户" in cells and "登录" in cells
    assert "import" not in cells and "household" not in cells and "login" not in cells
    english = client.get("/audit/?lang=en").get_data(as_text=True)
    assert "Roster import" in english and "Households" in english and "Sign in" in english


def test_audit_times_are_china_time(client, auth, f):
    from relief import audit

    f.user("who", Role.INSPECTOR)
    audit.log(db.session, "export", "export", None, note="2025 全区 xlsx")
    f.commit()
    stored = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export"))
    auth.login("who")
    html = client.get("/audit/?action=export").get_data(as_text=True)
    assert "时间（北京时间）" in html
    shown = (stored.at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f">{shown}</time>" in html  # stored in UTC, shown 8 hours later


def test_a_visit_posted_through_the_api_is_recorded_with_what_was_stored(client, f):
    from .visit_support import bearer, body, paired

    me = paired(f)
    household, cadre = me.household, me.cadre
    headers = bearer(me.user)
    sent = body(household.id, notes="门前的路修好了", aid_yuan=300)
    assert client.post("/api/v1/visits", json=sent, headers=headers).status_code == 201
    [event] = _events("visit")
    assert event.action == "create" and event.username == me.user.username
    changes = event.changes
    assert changes["client_uuid"] == [None, sent["client_uuid"]]
    assert changes["notes"] == [None, "门前的路修好了"] and changes["aid_yuan"] == [None, 300]
    assert changes["kind"] == [None, "routine"] and changes["visited_on"] == [None, sent["visited_on"]]
    assert changes["household_id"] == [None, household.id] and changes["cadre_id"] == [None, cadre.id]
    assert "content_hash" not in changes and "id" not in changes and "lat" not in changes  # none sent
