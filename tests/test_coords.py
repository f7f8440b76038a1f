"""Village positions as offices copy them from map apps: stored as WGS-84, whatever they were typed in."""
import gzip
import shutil
from datetime import date

import pytest
import sqlalchemy as sa

from relief.geo.coords import CoordinateError, CoordSystem, distance_m, from_wgs84, parse_system, to_wgs84
from relief.models import Role, Village
from relief.flags.services import visit_flags

from .forms import submit

# One point published in all three systems: Alibaba Cloud's address-purification API reference,
# "坐标系转换" (TransferCoord), answer to its sample request (Hangzhou, 余杭区, Alibaba's Xixi campus):
# WGS84/CGCS2000 120.021519,30.281543 · GCJ02 120.026268,30.279164 · BD09 120.032768,30.285238
WGS84 = (30.281543, 120.021519)
GCJ02 = (30.279164, 120.026268)
BD09 = (30.285238, 120.032768)


@pytest.mark.parametrize("system, point", [("GCJ-02", GCJ02), ("BD-09", BD09)])
def test_a_published_point_converts_to_its_wgs84_within_5_m(system, point):
    assert distance_m(to_wgs84(*point, system), WGS84) < 5


def test_wgs84_is_kept_as_typed_and_converts_back_out():
    assert to_wgs84(*WGS84, CoordSystem.WGS84) == WGS84
    assert distance_m(from_wgs84(*WGS84, CoordSystem.GCJ02), GCJ02) < 5
    assert distance_m(from_wgs84(*WGS84, CoordSystem.BD09), BD09) < 5
    # the offsets are real: 100-700 m, and more for BD-09
    assert 300 < distance_m(GCJ02, WGS84) < 700 and distance_m(BD09, WGS84) > distance_m(GCJ02, WGS84)


@pytest.mark.parametrize("text, system", [
    ("", CoordSystem.WGS84), (None, CoordSystem.WGS84), ("WGS-84", CoordSystem.WGS84), ("wgs84", CoordSystem.WGS84),
    ("GPS", CoordSystem.WGS84), ("天地图", CoordSystem.WGS84), ("CGCS2000", CoordSystem.WGS84),
    ("ＷＧＳ８４", CoordSystem.WGS84), ("WGS84坐标系", CoordSystem.WGS84),
    ("GCJ-02", CoordSystem.GCJ02), ("gcj02", CoordSystem.GCJ02), ("国测局", CoordSystem.GCJ02),
    ("火星坐标", CoordSystem.GCJ02), ("火星坐标系", CoordSystem.GCJ02), ("高德", CoordSystem.GCJ02),
    ("高德地图", CoordSystem.GCJ02), ("腾讯", CoordSystem.GCJ02), (" GCJ 02 ", CoordSystem.GCJ02),
    ("BD-09", CoordSystem.BD09), ("BD09", CoordSystem.BD09), ("百度", CoordSystem.BD09), ("百度坐标", CoordSystem.BD09),
    ("GCJ-02（高德、腾讯地图）", CoordSystem.GCJ02), ("bd09", CoordSystem.BD09),
])
def test_the_usual_spellings_of_a_system_are_understood(text, system):
    assert parse_system(text) is system


@pytest.mark.parametrize("text", ["北京54", "UTM", "xian80", "BD"])
def test_an_unknown_system_is_refused_saying_which_are_known(app, text):
    with pytest.raises(CoordinateError, match="GCJ-02（高德、腾讯地图）或 BD-09"):
        parse_system(text)


@pytest.mark.parametrize("lat, lng", [(35.68, 139.69), (1.35, 103.82), (48.86, 2.35), (0, 0), (47.92, 106.92)])
def test_a_point_outside_china_is_refused(app, lat, lng):
    with pytest.raises(CoordinateError, match="不在中国境内"):
        to_wgs84(lat, lng, "WGS-84")


@pytest.mark.parametrize("lat, lng", [(22.28, 114.16), (25.03, 121.56), (16.83, 112.34), (53.3, 122.3),
                                      (39.48, 75.99), (18.25, 109.5)])
def test_points_across_china_including_its_edges_and_islands_are_accepted(app, lat, lng):
    assert to_wgs84(lat, lng) == (lat, lng)


@pytest.mark.parametrize("lat, lng", [(118.33, 33.95), (80.26, 41.17)])
def test_latitude_and_longitude_typed_the_wrong_way_round_are_explained(app, lat, lng):
    with pytest.raises(CoordinateError, match="纬度和经度填反了"):
        to_wgs84(lat, lng)


# -- the village form ---------------------------------------------------------------------------

@pytest.fixture
def village(f):
    v = f.village(f.township("东镇"), "甲村", is_weak=True, lat=None, lng=None)
    f.user("admin", Role.ADMIN)
    f.user("leader", Role.LEADER, township=v.township)
    f.commit()
    return v


def _stored(village_id):
    from relief.extensions import db

    return db.session.execute(sa.select(Village.lat, Village.lng, Village.coord_system)
                              .where(Village.id == village_id)).one()


@pytest.mark.parametrize("system, point", [("gcj02", GCJ02), ("bd09", BD09)])
def test_a_position_copied_from_a_chinese_map_app_is_stored_as_wgs84(client, auth, village, system, point):
    auth.login("admin")
    page = submit(client, f"/villages/{village.id}/location", coord_system=system, lat=str(point[0]),
                  lng=str(point[1]))
    html = page.get_data(as_text=True)
    lat, lng, stored_system = _stored(village.id)
    assert distance_m((lat, lng), WGS84) < 5 and stored_system.value == system
    label = CoordSystem(system).zh
    assert f"已由 {CoordSystem(system).short} 换算为 WGS-84" in html
    assert f"录入时的坐标系：{label}，已换算为 WGS-84 保存" in html and f"纬度 {lat:.6f}，经度 {lng:.6f}（WGS-84）" in html


def test_a_gps_position_is_stored_as_typed_and_the_page_says_wgs84(client, auth, village):
    auth.login("admin")
    html = submit(client, f"/villages/{village.id}/location", coord_system="wgs84", lat="３３.９５１２３４°",
                  lng="118.331234").get_data(as_text=True)
    assert tuple(_stored(village.id)[:2]) == (33.951234, 118.331234)
    assert "录入时的坐标系：WGS-84（GPS、天地图）" in html


def test_saving_the_form_unchanged_keeps_the_system_it_was_typed_in(client, auth, village):
    auth.login("admin")
    submit(client, f"/villages/{village.id}/location", coord_system="gcj02", lat=str(GCJ02[0]), lng=str(GCJ02[1]))
    before = _stored(village.id)
    form = client.get(f"/villages/{village.id}/location").get_data(as_text=True)
    shown = f"{before.lat:.6f}".rstrip("0").rstrip(".")
    assert f'value="{shown}"' in form  # the stored WGS-84, with WGS-84 chosen
    html = submit(client, f"/villages/{village.id}/location", coord_system="wgs84", lat=f"{before.lat:.6f}",
                  lng=f"{before.lng:.6f}").get_data(as_text=True)
    assert "位置没有变化" in html and _stored(village.id) == before


@pytest.mark.parametrize("lat, lng, message", [
    ("35.68", "139.69", "不在中国境内"),
    ("118.33", "33.95", "纬度和经度填反了"),
    ("233.95", "118.33", "应在 -180 到 180 度之间"),
    ("33.95", "", "纬度和经度要么都填，要么都不填"),
    ("三十三", "118.33", "应为以度为单位的数字"),
])
def test_a_position_that_cannot_be_right_is_refused_with_the_reason(client, auth, village, lat, lng, message):
    auth.login("admin")
    r = submit(client, f"/villages/{village.id}/location", coord_system="wgs84", lat=lat, lng=lng)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert _stored(village.id)[:2] == (None, None)


def test_clearing_both_fields_removes_the_position(client, auth, f, village):
    auth.login("admin")
    submit(client, f"/villages/{village.id}/location", coord_system="wgs84", lat="33.95", lng="118.33")
    html = submit(client, f"/villages/{village.id}/location", coord_system="wgs84", lat="", lng="").get_data(as_text=True)
    assert _stored(village.id)[:2] == (None, None) and "本村不再画在地图上" in html


def test_only_the_admin_edits_a_position(client, auth, village):
    auth.login("leader")
    assert client.get(f"/villages/{village.id}/location").status_code == 403
    assert "修改位置" not in client.get(f"/villages/{village.id}").get_data(as_text=True)


@pytest.mark.config(FLAG_FAR_KM=0.3)
def test_the_far_from_village_flag_compares_gps_with_the_converted_position(client, auth, f, village):
    """A cadre's phone at the real spot is not flagged, although the BD-09 numbers typed for the
    village are ~1 km away from it: the flag reads the stored WGS-84."""
    auth.login("admin")
    submit(client, f"/villages/{village.id}/location", coord_system="bd09", lat=str(BD09[0]), lng=str(BD09[1]))
    household = f.household(village)
    visit = f.visit(f.cadre(), household, visited_on=date.today(), lat=WGS84[0] + 0.0005, lng=WGS84[1])
    f.commit()
    assert distance_m(BD09, WGS84) > 900
    flagged = {fl.visit_id for fl in visit_flags(date.today().year) if "far_from_village" in fl.reasons}
    assert visit.id not in flagged


# -- the upgrade --------------------------------------------------------------------------------

def test_villages_of_the_first_release_are_taken_as_wgs84(tmp_path):
    from .test_upgrade import FIXTURE, _flask

    path = tmp_path / "release1.db"
    with gzip.open(FIXTURE) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT id, lat, lng FROM village ORDER BY id")).all()
    done = _flask(url, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        after = conn.execute(sa.text("SELECT id, lat, lng, coord_system FROM village ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r[:3]) for r in after] == [tuple(r) for r in before] and len(before) > 0
    assert {r[3] for r in after} == {"wgs84"}


# -- the villages import: positions copied from 高德 or 百度 are stored as WGS-84 -----------------

def test_a_villages_import_in_gcj02_and_bd09_is_stored_as_wgs84(app, runner, tmp_path):
    """The same landmark typed three ways (the WGS-84 position and its GCJ-02 and BD-09 forms, as
    an office copies them from 天地图, 高德 and 百度) is stored within 5 m of its WGS-84 position;
    importing the file again changes nothing."""
    import sqlalchemy as sa

    from relief.extensions import db
    from relief.models import Village

    from .sheets import xlsx

    (wgs_lat, wgs_lng), (gcj_lat, gcj_lng), (bd_lat, bd_lng) = WGS84, GCJ02, BD09
    head = ["乡镇", "村", "经济薄弱村", "纬度", "经度", "坐标系"]
    path = tmp_path / "村庄.xlsx"
    path.write_bytes(xlsx([head, ["余杭区", "天地图村", "是", wgs_lat, wgs_lng, None],
                           ["余杭区", "高德村", "是", gcj_lat, gcj_lng, "高德"],
                           ["余杭区", "百度村", "是", bd_lat, bd_lng, "BD-09"]]))
    first = runner.invoke(args=["relief", "import", "villages", str(path)])
    assert first.exit_code == 0, first.output
    stored = {v.name: v for v in db.session.scalars(sa.select(Village))}
    for name, system in (("天地图村", CoordSystem.WGS84), ("高德村", CoordSystem.GCJ02), ("百度村", CoordSystem.BD09)):
        v = stored[name]
        assert v.coord_system is system
        assert distance_m((v.lat, v.lng), WGS84) < 5, name
    again = runner.invoke(args=["relief", "import", "villages", str(path)])
    assert again.exit_code == 0 and "未变3" in again.output, again.output


def test_a_villages_import_refuses_an_unknown_system_and_a_place_outside_china(app, runner, tmp_path):
    import sqlalchemy as sa

    from relief.extensions import db
    from relief.models import Village

    from .sheets import xlsx

    head = ["乡镇", "村", "经济薄弱村", "纬度", "经度", "坐标系"]
    path = tmp_path / "村庄.xlsx"
    path.write_bytes(xlsx([head, ["东镇", "甲村", "是", 33.95, 118.33, "谷歌地球"],
                           ["东镇", "乙村", "是", 48.85, 2.35, None],
                           ["东镇", "丙村", "是", 118.33, 33.95, "WGS-84"]]))
    result = runner.invoke(args=["relief", "import", "villages", str(path)])
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("row ")]
    assert lines[0].startswith("row 2: 坐标系: 不认识的坐标系“谷歌地球”")
    assert lines[1].startswith("row 3: 纬度: 坐标（纬度 48.85，经度 2.35）不在中国境内")
    assert lines[2].startswith("row 4: 纬度: 纬度和经度填反了")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Village)) == 0
