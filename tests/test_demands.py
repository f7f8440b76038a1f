"""Demands: the list with overdue first, resolve (saying how), in progress, cannot resolve, reopen."""
import re
from datetime import timedelta

import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import AuditEvent, Demand, DemandStatus, Role

from .conftest import csrf_token
from .visit_support import paired


def post(client, path, **data):
    show = path.rsplit("/", 1)[0]
    return client.post(path, data={"csrf_token": csrf_token(client, show), **data})


def test_the_list_puts_overdue_demands_first_and_counts_them(client, f, me):
    f.demand(me.cadre, me.household, text="下月到期", deadline=today() + timedelta(days=20))
    f.demand(me.cadre, me.household, text="早已超期", deadline=today() - timedelta(days=9))
    f.demand(me.cadre, me.household, text="刚刚超期", deadline=today() - timedelta(days=1))
    f.demand(me.cadre, me.household, text="已办好", status=DemandStatus.RESOLVED, resolved_on=today(),
             resolution="修好了")
    f.commit()
    html = client.get("/demands/").get_data(as_text=True)
    assert re.findall(r'class="fw-bold demand-link"[^>]*>([^<]+)<', html) == ["早已超期", "刚刚超期", "下月到期"]
    assert "未办结 3 条，其中超期 2 条" in re.sub(r"<[^>]+>", "", html) and "已超期 9 天" in html
    overdue = client.get("/demands/?show=overdue").get_data(as_text=True)
    assert "下月到期" not in overdue and "早已超期" in overdue
    closed = client.get("/demands/?show=closed").get_data(as_text=True)
    assert "已办好" in closed and "早已超期" not in closed


def test_each_role_sees_its_own_scope(client, auth, f):
    me = paired(f, "cad")
    other = paired(f, "other")
    f.demand(me.cadre, me.household, text="我的诉求")
    f.demand(other.cadre, other.household, text="别人的诉求")
    f.user("leader", Role.LEADER, township=me.household.township)
    f.commit()
    for username, sees, hidden in (("cad", "我的诉求", "别人的诉求"), ("leader", "我的诉求", "别人的诉求"),
                                   ("other", "别人的诉求", "我的诉求")):
        auth.login(username)
        html = client.get("/demands/").get_data(as_text=True)
        assert sees in html and hidden not in html, username
        auth.logout()


def test_resolving_by_hand_needs_to_say_how(client, f, me):
    d = f.demand(me.cadre, me.household)
    f.commit()
    empty = post(client, f"/demands/{d.id}/resolve", resolution="  ")
    assert empty.status_code == 422 and "请填写办结情况" in empty.get_data(as_text=True)
    assert db.session.get(Demand, d.id).status is DemandStatus.OPEN
    ok = post(client, f"/demands/{d.id}/resolve", resolution="联系施工队修好了屋顶", resolved_on=today().isoformat())
    assert ok.status_code == 302
    db.session.refresh(d)
    assert d.status is DemandStatus.RESOLVED and d.resolution == "联系施工队修好了屋顶" and d.resolved_on == today()
    assert "联系施工队修好了屋顶" in client.get(f"/demands/{d.id}").get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "demand", AuditEvent.action == "update"))
    assert event.changes["status"] == ["open", "resolved"]


def test_a_future_resolution_date_is_refused(client, f, me):
    d = f.demand(me.cadre, me.household)
    f.commit()
    r = post(client, f"/demands/{d.id}/resolve", resolution="好了", resolved_on=(today() + timedelta(days=1)).isoformat())
    assert r.status_code == 422 and "不能晚于今天" in r.get_data(as_text=True)
    db.session.refresh(d)
    assert (d.status, d.resolution, d.resolved_on) == (DemandStatus.OPEN, None, None)


def test_cannot_resolve_needs_a_reason_and_reopen_starts_a_new_deadline(client, f, me):
    d = f.demand(me.cadre, me.household, deadline=today() - timedelta(days=3))
    f.commit()
    no_reason = post(client, f"/demands/{d.id}/cannot", reason="")
    assert no_reason.status_code == 422 and "请填写无法解决的原因" in no_reason.get_data(as_text=True)
    assert post(client, f"/demands/{d.id}/cannot", reason="超出政策范围").status_code == 302
    db.session.refresh(d)
    assert d.status is DemandStatus.CANNOT_RESOLVE and d.reason == "超出政策范围"
    assert "超出政策范围" in client.get(f"/demands/{d.id}").get_data(as_text=True)
    assert post(client, f"/demands/{d.id}/resolve", resolution="x").status_code == 422
    assert post(client, f"/demands/{d.id}/reopen", deadline="").status_code == 302
    db.session.refresh(d)
    assert d.status is DemandStatus.OPEN and d.reason is None and d.deadline == today() + timedelta(days=30)


def test_marking_in_progress(client, f, me):
    d = f.demand(me.cadre, me.household)
    f.commit()
    assert post(client, f"/demands/{d.id}/start").status_code == 302
    assert db.session.get(Demand, d.id).status is DemandStatus.IN_PROGRESS
    assert "办理中" in client.get("/demands/").get_data(as_text=True)


def test_out_of_scope_demands_are_404_and_inspectors_only_read(client, auth, f):
    me = paired(f, "cad")
    d = f.demand(me.cadre, me.household, text="看得见")
    paired(f, "other")
    f.user("inspector", Role.INSPECTOR)
    f.commit()
    auth.login("other")
    assert client.get(f"/demands/{d.id}").status_code == 404
    token = csrf_token(client, "/demands/")
    assert client.post(f"/demands/{d.id}/resolve", data={"csrf_token": token, "resolution": "x"}).status_code == 404
    auth.logout()
    auth.login("inspector")
    page = client.get(f"/demands/{d.id}").get_data(as_text=True)
    assert "看得见" in page and "标为已办结" not in page
    token = csrf_token(client, f"/demands/{d.id}")
    assert client.post(f"/demands/{d.id}/resolve", data={"csrf_token": token, "resolution": "x"}).status_code == 403
    assert db.session.get(Demand, d.id).status is DemandStatus.OPEN


def test_the_visit_form_lists_open_demands_to_settle(client, f, me):
    f.demand(me.cadre, me.household, text="要办的事")
    f.demand(me.cadre, me.household, text="办完的事", status=DemandStatus.RESOLVED, resolution="好")
    f.commit()
    html = client.get(f"/visits/new?household_id={me.household.id}").get_data(as_text=True)
    assert "要办的事" in html and "办完的事" not in html and "在本次走访中办结" in html
