"""The photo flags as the inspector reads them: photos sent through the visit API as phones send
them, the flags read back from GET /api/v1/visits/flags and the inspector's page."""
import base64
import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import Role, VisitPhoto
from relief.models.base import utcnow

from .photo_shots import camera_jpeg, resaved, yard
from .visit_support import bearer, body, paired


def _send(client, who, photos, **over) -> int:
    r = client.post("/api/v1/visits", json=body(who.household.id, photos=[base64.b64encode(p).decode() for p in photos],
                                                **over), headers=bearer(who.user))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _morning(day, hour=9, minute=30) -> datetime:
    return datetime.combine(day, time(hour, minute))


@pytest.fixture
def inspector(f):
    user = f.user("insp", Role.INSPECTOR)
    f.commit()
    return user


def _flags(client, inspector) -> dict[int, dict]:
    r = client.get(f"/api/v1/visits/flags?year={today().year}", headers=bearer(inspector))
    assert r.status_code == 200, r.get_json()
    return {row["visit_id"]: row for row in r.get_json()}


def _photo_ids(visit_id: int) -> list[int]:
    return db.session.scalars(sa.select(VisitPhoto.id).where(VisitPhoto.visit_id == visit_id).order_by(VisitPhoto.id)).all()


def test_a_picture_re_saved_smaller_on_another_households_visit_is_flagged_with_the_earlier_visit(client, f, inspector):
    first, second = paired(f, "cad1", name="王大伯"), paired(f, "cad2", name="李大娘")
    original = camera_jpeg(yard(21), _morning(today() - timedelta(days=5)))
    before = _send(client, first, [original], visited_on=(today() - timedelta(days=5)).isoformat())
    after = _send(client, second, [camera_jpeg(yard(22)), resaved(original, quality=70, scale=0.85)])
    flags = _flags(client, inspector)
    assert list(flags) == [after]  # the first use is not the reuse
    [evidence] = flags[after]["reused_photos"]
    assert flags[after]["reasons"] == ["reused_photo"]
    assert evidence["photo_id"] == _photo_ids(after)[1] and evidence["earlier_photo_id"] == _photo_ids(before)[0]
    assert evidence["earlier_visit_id"] == before and evidence["earlier_household_id"] == first.household.id
    assert evidence["earlier_visited_on"] == (today() - timedelta(days=5)).isoformat()
    assert 0 <= evidence["distance"] <= 8


def test_shots_of_one_yard_seconds_apart_on_one_visit_are_not_flagged(client, f, inspector):
    me = paired(f)
    taken = _morning(today())
    _send(client, me, [camera_jpeg(yard(23), taken),
                       camera_jpeg(yard(23, shift=(20, 10), light=0.95), taken + timedelta(seconds=4))])
    assert _flags(client, inspector) == {}


def test_a_photo_taken_41_days_before_the_visit_is_flagged_with_both_dates(client, f, inspector):
    me = paired(f)
    taken = _morning(today() - timedelta(days=41))
    vid = _send(client, me, [camera_jpeg(yard(24), taken)])
    flags = _flags(client, inspector)
    assert flags[vid]["reasons"] == ["photo_date_mismatch"]
    assert flags[vid]["photo_dates"] == [{"photo_id": _photo_ids(vid)[0], "taken_at": taken.isoformat() + "+08:00",
                                          "visited_on": today().isoformat(), "days_apart": 41}]


@pytest.mark.parametrize("shot", ["same_morning", "three_days_before", "no_exif", "shrunk_by_the_phone"])
def test_a_photo_of_the_visits_day_or_without_a_capture_time_is_not_flagged(client, f, inspector, shot):
    me = paired(f)
    if shot == "same_morning":
        _send(client, me, [camera_jpeg(yard(25), _morning(today(), 7, 5))])
    elif shot == "three_days_before":
        _send(client, me, [camera_jpeg(yard(25), _morning(today() - timedelta(days=3), 0, 1))])
    elif shot == "no_exif":
        _send(client, me, [resaved(camera_jpeg(yard(25), _morning(today() - timedelta(days=41))))])
    else:  # the visit form shrank it and could not read a time either
        _send(client, me, [resaved(camera_jpeg(yard(25)))], photo_times=[None])
    assert _flags(client, inspector) == {}


def test_the_capture_time_the_phone_read_before_shrinking_is_evidence_too(client, f, inspector):
    me = paired(f)
    taken = _morning(today() - timedelta(days=41))
    vid = _send(client, me, [resaved(camera_jpeg(yard(26), taken))], photo_times=[taken.isoformat() + "+08:00"])
    assert _flags(client, inspector)[vid]["reasons"] == ["photo_date_mismatch"]


def test_the_inspectors_page_shows_both_photos_side_by_side_and_the_dates(client, auth, f, inspector):
    first, second = paired(f, "cad1", name="王大伯"), paired(f, "cad2", name="李大娘")
    five_days_ago = today() - timedelta(days=5)
    original = camera_jpeg(yard(27), _morning(five_days_ago))
    _send(client, first, [camera_jpeg(yard(28), _morning(today()))])
    middle = _send(client, first, [original], visited_on=five_days_ago.isoformat())
    after = _send(client, second, [resaved(original)])
    # the same picture again, as the camera dated it 41 days ago
    dated = _send(client, first, [camera_jpeg(yard(27), _morning(today() - timedelta(days=41)))])
    reused_earlier = _photo_ids(middle)[0]
    auth.login("insp")
    html = client.get(f"/flags/?year={today().year}").get_data(as_text=True)
    items = dict(zip(map(int, re.findall(r'visit-link" href="/visits/(\d+)"', html)),
                     html.split('list-group-item flag-item')[1:], strict=True))
    assert set(items) == {after, dated}
    reused = items[after]
    assert "照片曾用于其他走访" in reused and "王大伯户" in reused and five_days_ago.isoformat() in reused
    srcs = re.findall(r'<img src="(/visits/photos/\d+)"', reused)
    assert srcs == [f"/visits/photos/{_photo_ids(after)[0]}", f"/visits/photos/{reused_earlier}"]
    assert all(client.get(src).status_code == 200 for src in srcs)
    assert "照片拍摄日期与走访日期不符" in items[dated]
    assert f"照片拍摄于 {(today() - timedelta(days=41)).isoformat()} 09:30" in items[dated]
    assert f"填报的走访日期是 {today().isoformat()}，相差 41 天" in items[dated]
    # both flags on one visit: the picture was used before, and taken 41 days before this one
    assert "照片曾用于其他走访" in items[dated]


def test_the_flags_page_lists_one_reason_when_asked(client, auth, f, inspector):
    me = paired(f)
    late_photo = _send(client, me, [camera_jpeg(yard(29), _morning(today() - timedelta(days=41)))])
    f.visit(me.cadre, me.household, visited_on=today() - timedelta(days=30), recorded_at=utcnow())
    f.commit()
    auth.login("insp")
    html = client.get(f"/flags/?year={today().year}&reason=photo_date_mismatch").get_data(as_text=True)
    assert re.findall(r'visit-link" href="/visits/(\d+)"', html) == [str(late_photo)]
    assert 'data-total="1"' in html
    everything = client.get(f"/flags/?year={today().year}").get_data(as_text=True)
    assert 'data-total="2"' in everything


def test_the_flags_answer_names_no_position_and_no_phone(client, f, inspector):
    me = paired(f)
    _send(client, me, [camera_jpeg(yard(30), _morning(today() - timedelta(days=41)), make="HUAWEI", model="NOH-AN00")])
    text = client.get(f"/api/v1/visits/flags?year={today().year}", headers=bearer(inspector)).get_data(as_text=True)
    assert "photo_date_mismatch" in text
    assert not any(word in text for word in ("HUAWEI", "NOH-AN00", "33.95", "118.3", "gps", "GPS"))


def test_the_dashboard_counts_each_photo_flag_for_the_inspector_only(client, auth, f, inspector):
    first, second = paired(f, "cad1", name="王大伯"), paired(f, "cad2", name="李大娘")
    shot = camera_jpeg(yard(31), _morning(today() - timedelta(days=41)))
    _send(client, first, [shot], visited_on=(today() - timedelta(days=41)).isoformat())
    _send(client, second, [resaved(shot)])
    f.user("boss", Role.LEADER, township=first.village.township)
    f.commit()
    auth.login("insp")
    html = client.get("/dashboard").get_data(as_text=True)
    for reason, n in (("reused_photo", 1), ("photo_date_mismatch", 0)):
        link = re.search(rf'<a class="figure" href="/flags/\?year={today().year}&amp;reason={reason}" data-rows="(\d+)">(\d+)</a>',
                         html)
        assert link and link.groups() == (str(n), str(n)), reason
    assert "照片曾用于其他走访" in html and "照片拍摄日期与走访日期不符" in html
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)})
    auth.login("boss")
    assert "/flags/" not in client.get("/dashboard").get_data(as_text=True)


def test_the_yearly_workbooks_visit_sheet_names_the_photo_flags_for_the_admin(client, auth, f):
    first, second = paired(f, "cad1", name="王大伯"), paired(f, "cad2", name="李大娘")
    five_days_ago = today() - timedelta(days=5)
    shot = camera_jpeg(yard(32), _morning(five_days_ago))
    before = _send(client, first, [shot], visited_on=five_days_ago.isoformat())
    _send(client, second, [resaved(shot), camera_jpeg(yard(33), _morning(today() - timedelta(days=41)))])
    _send(client, first, [camera_jpeg(yard(34), _morning(today()))])
    f.user("boss", Role.LEADER, township=second.village.township)
    f.user("adm", Role.ADMIN)
    f.commit()

    def sheet(who):
        auth.login(who)
        r = client.get(f"/exports/download?year={today().year}&format=csv&sheet=visits")
        assert r.status_code == 200
        return list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))

    header, *rows = sheet("adm")
    assert header[:9] == ["走访日期", "乡镇", "村", "户主姓名", "帮扶干部", "走访类型", "帮扶金额(元)", "走访情况", "录入时间"]
    assert header[9:] == ["照片疑点"]
    flagged = {r[3]: r[9] for r in rows if r[9]}
    assert flagged == {"李大娘": f"照片曾用于其他走访（{five_days_ago.isoformat()} 走访#{before}）；照片拍摄日期与走访日期相差41天"}
    # the flags are for the inspector and the admin: the leader's workbook has the contract's columns only
    leader_header, *_rows = sheet("boss")
    assert leader_header == header[:9]
