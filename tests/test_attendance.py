"""Stationed attendance: a monthly sheet for leaders and admins, a year view flagging months under the norm."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import Attendance, PairingKind, User
from relief.pairings.attendance import AttendanceError, save_attendance

from .visit_support import days_of, post_sheet

S, T = PairingKind.STATIONED, PairingKind.TEAM


def test_the_sheet_lists_the_stationed_cadres_of_the_month_in_scope(client, auth, stationed):
    auth.login("leader")
    march = client.get("/pairings/attendance?year=2025&month=3").get_data(as_text=True)
    assert "驻村甲" in march and "队员乙" in march and "第一书记" in march
    assert "户结对丁" not in march and "外镇戊" not in march and "已离开丙" not in march
    assert "已离开丙" in client.get("/pairings/attendance?year=2025&month=2").get_data(as_text=True)


def test_a_leader_enters_days_and_sees_months_under_the_norm(client, auth, stationed):
    auth.login("leader")
    r = post_sheet(client, {f"days-{stationed['s'].id}": "22", f"days-{stationed['t'].id}": "18"})
    assert r.status_code == 302
    assert days_of(stationed["s"]) == 22 and days_of(stationed["t"]) == 18
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已保存2025年3月驻村天数（2条有变动）" in html
    assert re.search(rf'id="days-{stationed["t"].id}"[^>]*value="18"', html)
    row = html.split(f'id="days-{stationed["t"].id}"')[1].split("</li>")[0]
    assert "⚠ 低于20天" in row
    assert "低于20天" not in html.split(f'id="days-{stationed["s"].id}"')[1].split("</li>")[0]
    leader = db.session.scalar(sa.select(User).where(User.username == "leader"))
    assert db.session.scalar(sa.select(Attendance.recorded_by_id).where(Attendance.pairing_id == stationed["s"].id)) == leader.id


@pytest.mark.parametrize("year, month, typed, message", [
    (2025, 3, "32", "驻村天数应在0到31之间"),
    (2025, 2, "29", "2025年2月只有28天"),
    (2024, 4, "31", "2024年4月只有30天"),
    (2025, 3, "abc", "请填写0到31之间的整数天数"),
    (2025, 3, "-1", "请填写0到31之间的整数天数"),
    (2025, 3, "2.5", "请填写0到31之间的整数天数"),
])
def test_bad_days_are_refused_with_a_message_and_nothing_is_saved(client, auth, stationed, year, month, typed, message):
    auth.login("admin")
    r = post_sheet(client, {f"days-{stationed['s'].id}": "20", f"days-{stationed['t'].id}": typed}, year, month)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert message in html and "有1行需要修改，未保存任何数据" in html
    assert re.search(rf'id="days-{stationed["t"].id}"[^>]*aria-invalid="true"', html)
    assert days_of(stationed["s"], year, month) is None and days_of(stationed["t"], year, month) is None


def test_february_of_a_leap_year_has_29_days(client, auth, stationed):
    auth.login("admin")
    assert post_sheet(client, {f"days-{stationed['s'].id}": "29"}, 2024, 2).status_code == 302
    assert days_of(stationed["s"], 2024, 2) == 29


def test_a_blank_clears_and_a_change_updates(client, auth, stationed, f):
    db.session.add(Attendance(pairing_id=stationed["s"].id, year=2025, month=3, days=10))
    db.session.add(Attendance(pairing_id=stationed["t"].id, year=2025, month=3, days=10))
    f.commit()
    auth.login("admin")
    assert post_sheet(client, {f"days-{stationed['s'].id}": "", f"days-{stationed['t'].id}": "21"}).status_code == 302
    assert days_of(stationed["s"]) is None and days_of(stationed["t"]) == 21


def test_future_months_cannot_be_entered(app, client, auth, stationed, f):
    now = today()
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    with pytest.raises(AttendanceError) as err:
        save_attendance(None, year, month, {stationed["s"].id: 20}, now)
    assert "不能填写未来月份的驻村天数" in str(err.value)
    auth.login("admin")
    html = client.get(f"/pairings/attendance?year={year}&month={month}", follow_redirects=True).get_data(as_text=True)
    assert "不能填写未来月份的驻村天数" in html


def test_no_more_days_than_have_passed_in_this_month(app, client, auth, stationed):
    """On the 10th, ten days at most: the days that have not come yet cannot have been spent in the village."""
    tenth = date(2025, 3, 10)
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    with pytest.raises(AttendanceError) as err:
        save_attendance(admin, 2025, 3, {stationed["s"].id: 11}, tenth)
    assert "2025年3月到今天只过了10天，驻村天数不能超过10" in str(err.value)
    assert save_attendance(admin, 2025, 3, {stationed["s"].id: 10}, tenth) == 1
    assert save_attendance(admin, 2025, 2, {stationed["s"].id: 28}, tenth) == 1  # a past month: all its days


def test_the_sheet_of_this_month_offers_the_days_so_far(client, auth, stationed):
    now = today()
    auth.login("leader")
    html = client.get(f"/pairings/attendance?year={now.year}&month={now.month}").get_data(as_text=True)
    assert f"本月最多可填{now.day}天" in html and f'max="{now.day}"' in html
    if now.day < 28:
        r = post_sheet(client, {f"days-{stationed['s'].id}": str(now.day + 1)}, year=now.year, month=now.month)
        assert r.status_code == 422 and f"到今天只过了{now.day}天" in r.get_data(as_text=True)
        assert days_of(stationed["s"], now.year, now.month) is None


def test_a_leader_cannot_write_attendance_outside_the_township(client, auth, stationed):
    auth.login("leader")
    r = post_sheet(client, {f"days-{stationed['s'].id}": "20", f"days-{stationed['out'].id}": "20"})
    assert r.status_code == 404
    assert days_of(stationed["s"]) is None and days_of(stationed["out"]) is None
    # a household pairing keeps no attendance
    assert post_sheet(client, {f"days-{stationed['h'].id}": "20"}).status_code == 404


def test_the_inspector_reads_but_cannot_write_and_a_cadre_cannot_open_it(client, auth, stationed, f):
    db.session.add(Attendance(pairing_id=stationed["s"].id, year=2025, month=3, days=15))
    f.commit()
    auth.login("inspector")
    html = client.get("/pairings/attendance?year=2025&month=3").get_data(as_text=True)
    assert "15天" in html and "⚠ 低于20天" in html and 'name="days-' not in html
    assert post_sheet(client, {f"days-{stationed['s'].id}": "20"}).status_code == 403
    assert days_of(stationed["s"]) == 15
    auth.logout()
    auth.login("cadre")
    assert client.get("/pairings/attendance").status_code == 403
    assert client.get("/pairings/attendance/year").status_code == 403


def _plant_year(f, stationed):
    for pairing, month, days in ((stationed["s"], 1, 22), (stationed["s"], 2, 15), (stationed["s"], 3, 20), (stationed["t"], 1, 19),
                                 (stationed["out"], 1, 5)):
        db.session.add(Attendance(pairing_id=pairing.id, year=2025, month=month, days=days))
    f.commit()


def test_the_year_view_flags_months_under_the_norm_with_text_not_only_colour(client, auth, stationed, f):
    _plant_year(f, stationed)
    auth.login("leader")
    html = client.get("/pairings/attendance/year?year=2025").get_data(as_text=True)
    flagged = re.findall(r'<td class="under-norm">⚠ (\d+)<span class="visually-hidden">低于20天</span></td>', html)
    assert sorted(flagged) == ["15", "19"]
    assert "<td>22</td>" in html and "<td>20</td>" in html
    assert "已填 4 个人月，其中 2 个低于20天" in html
    assert "外镇戊" not in html
    s_row = html.split("驻村甲")[1].split("</tr>")[0]
    assert "<td>57</td>" in s_row and "⚠ 1" in s_row
    last = 12 if today().year > 2025 else today().month
    assert s_row.count("未填") == last - 3  # past months from April on are not recorded


def test_the_norm_is_configurable(app, client, auth, stationed, f):
    app.config["ATTENDANCE_NORM_DAYS"] = 16
    _plant_year(f, stationed)
    auth.login("admin")
    html = client.get("/pairings/attendance/year?year=2025").get_data(as_text=True)
    flagged = re.findall(r'<td class="under-norm">⚠ (\d+)<span class="visually-hidden">低于16天</span></td>', html)
    assert sorted(flagged) == ["15", "5"]
