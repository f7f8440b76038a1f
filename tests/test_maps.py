"""The progress map: scope, escaping, local assets, tiles, the cache and its refresh."""
import json
import re

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.maps import folium_local, services
from relief.models import PairingKind, Role, Village, VillageIncome

from .forms import submit

EVIL = "<img src=x onerror=alert(1)>"
YEAR = today().year


@pytest.fixture(autouse=True)
def fresh_cache():
    from relief.maps import basemap

    services.cache.clear()
    basemap._memo.clear()
    yield
    services.cache.clear()
    basemap._memo.clear()


@pytest.fixture
def district(f, app):
    east, west = f.township("东镇"), f.township("西镇")
    a = f.village(east, "甲村", is_weak=True, lat=33.9, lng=118.3)
    b = f.village(east, "乙村", is_weak=True, lat=33.95, lng=118.35)
    c = f.village(west, "丙村", is_weak=True, lat=34.0, lng=118.4)
    f.village(east, "普通村")
    f.income(a, YEAR, 89_999)  # 59 %: red
    f.income(a, YEAR - 1, 120_000)
    f.income(b, YEAR, 150_000)  # green
    f.income(c, YEAR, 90_000)  # 60 %: orange
    f.pairing(f.cadre("李区长"), village=a, kind=PairingKind.LINK)
    f.pairing(f.cadre("王书记"), village=a, kind=PairingKind.STATIONED)
    f.project(a, "光伏电站")
    f.user("admin", Role.ADMIN)
    f.user("leader", Role.LEADER, township=east)
    f.user("inspector", Role.INSPECTOR)
    f.commit()
    return dict(east=east, west=west, a=a, b=b, c=c)


def _data(html: str, layer: str = "village_layer") -> dict:
    match = re.search(rf'<script type="application/json" id="{layer}_[^"]+-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def _base(html: str) -> dict:
    return _data(html, "base_layer")


def _villages(html: str) -> dict[str, dict]:
    data = _data(html)
    return {row[3]: dict(zip(data["fields"], row)) for row in data["villages"]}


def test_the_frame_holds_every_weak_village_with_its_band_and_figures(client, auth, district):
    auth.login("admin")
    html = client.get(f"/map/frame?year={YEAR}").get_data(as_text=True)
    v = _villages(html)
    assert set(v) == {"甲村", "乙村", "丙村"}
    assert (v["甲村"]["band"], v["甲村"]["percent"]) == ("red", 59)
    assert (v["乙村"]["band"], v["乙村"]["percent"]) == ("green", 100)
    assert (v["丙村"]["band"], v["丙村"]["percent"]) == ("orange", 60)
    assert v["甲村"]["incomes"] == [None, 120_000, 89_999] and v["甲村"]["target"] == 150_000
    assert (v["甲村"]["leader"], v["甲村"]["stationed"], v["甲村"]["projects"]) == ("李区长", "王书记", 1)
    data = _data(html)
    assert data["years"] == [YEAR - 2, YEAR - 1, YEAR]
    assert data["labels"]["bands"]["red"] == "进度不足60%" and data["counts"] == {"red": 1, "orange": 1, "green": 1}


def test_a_leader_sees_only_the_own_township(client, auth, district):
    auth.login("leader")
    assert set(_villages(client.get("/map/frame").get_data(as_text=True))) == {"甲村", "乙村"}
    page = client.get("/map").get_data(as_text=True)
    assert "东镇经济薄弱村收入进度地图" in page and "丙村" not in page
    for path in ("/map?township=西镇", "/map/frame?township=西镇", f"/map?township={district['west'].id}"):
        assert client.get(path).status_code == 404, path


def test_the_district_office_filters_by_township_name(client, auth, district):
    auth.login("inspector")
    assert set(_villages(client.get("/map/frame").get_data(as_text=True))) == {"甲村", "乙村", "丙村"}
    assert set(_villages(client.get("/map/frame?township=西镇").get_data(as_text=True))) == {"丙村"}
    assert client.get("/map?township=没有这个镇").status_code == 404


def test_a_cadre_has_no_map(client, auth, f, district):
    f.user("cad", Role.CADRE)
    f.commit()
    auth.login("cad")
    assert client.get("/map").status_code == 403 and client.get("/map/frame").status_code == 403


def test_names_typed_by_users_never_become_html(client, auth, f, district):
    evil = f.village(district["east"], EVIL, is_weak=True, lat=33.91, lng=118.31)
    f.project(evil, EVIL)
    f.pairing(f.cadre(EVIL), village=evil, kind=PairingKind.LINK)
    f.commit()
    auth.login("admin")
    frame = client.get("/map/frame").get_data(as_text=True)
    assert "<img" not in frame and "onerror=alert(1)>" not in frame
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in frame
    row = _villages(frame)[EVIL]  # the data still says exactly what was typed
    assert row["name"] == EVIL and row["leader"] == EVIL
    for path in ("/map", f"/villages/{evil.id}", "/projects/", f"/projects/?village={evil.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page, path
    # the popup is built from text nodes: the script never hands a string to innerHTML
    script = _frame_script()
    assert "innerHTML" not in script and "textContent" in script


def test_names_are_not_evaluated_as_templates(client, auth, f, district):
    """folium compiles macro output as Jinja; the village data must bypass that."""
    f.village(district["east"], "{{ 7 * 7 }}村", is_weak=True, lat=33.92, lng=118.32)
    f.commit()
    auth.login("admin")
    assert "{{ 7 * 7 }}村" in _villages(client.get("/map/frame").get_data(as_text=True))


def _frame_script() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[1] / "static" / "js" / "map-frame.js").read_text(encoding="utf-8")


def test_the_frame_is_a_complete_local_document_with_nonced_scripts(client, auth, district):
    auth.login("admin")
    r = client.get("/map/frame")
    html = r.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "<title>全区经济薄弱村收入进度地图" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # every asset from this server
    assert re.search(r'src="/static/vendor/leaflet/leaflet\.[0-9a-f]{12}\.js"', html)
    assert re.search(r'href="/static/vendor/leaflet/leaflet\.[0-9a-f]{12}\.css"', html)
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    inline = [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag and "application/json" not in tag]
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)
    assert "user-scalable=no" not in html
    assert "L.tileLayer" not in html  # no tiles: relief's own base map, then the villages
    assert html.index("reliefMap.addBase") < html.index("reliefMap.addVillages") and "preferCanvas" in html


@pytest.mark.config(TILE_URL="https://tiles.example.cn/{z}/{x}/{y}.png", TILE_ATTRIBUTION="某市地图 审图号：X(2025)1号")
def test_tiles_come_from_the_configured_server(client, auth, district):
    auth.login("admin")
    r = client.get("/map/frame")
    base = _base(r.get_data(as_text=True))
    assert [t["url"] for t in base["tiles"]] == ["https://tiles.example.cn/{z}/{x}/{y}.png"]
    assert base["attribution"] == "某市地图 审图号：X(2025)1号" and base["labels"] == []
    assert _img_src(r) == ["'self'", "data:", "blob:", "https://tiles.example.cn"]


def _img_src(response) -> list[str]:
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return policy["img-src"].split()


def test_by_default_the_map_asks_nothing_of_any_other_server(client, auth, district):
    from relief.config import Defaults

    assert Defaults.TILE_URL == "none" and not Defaults.TIANDITU_KEY
    auth.login("admin")
    r = client.get("/map/frame")
    html = r.get_data(as_text=True)
    base = _base(html)
    assert "tiles" not in base and "tianditu" not in html.lower() and "openstreetmap" not in html.lower()
    assert _img_src(r) == ["'self'", "data:", "blob:"]
    assert not re.search(r"https?://(?!leafletjs\.com)", html.split("<body>", 1)[1])  # no address at all in the body
    assert "示意图" in base["attribution"] and base["note"]


def test_no_openstreetmap_default_is_left_anywhere():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in [root / "README.md", root / "relief" / "config.py", root / "static" / "js" / "map-frame.js",
                 *(root / "relief").rglob("*.py"), *(root / "templates").rglob("*.html")]:
        assert "openstreetmap" not in path.read_text(encoding="utf-8").lower(), path


KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.config(TIANDITU_KEY=KEY)
def test_a_tianditu_key_turns_on_its_vector_map_and_labels_and_goes_only_to_its_hosts(client, auth, district):
    auth.login("admin")
    r = client.get("/map/frame")
    html = r.get_data(as_text=True)
    tiles = _base(html)["tiles"]
    assert [re.search(r"/(\w+)/wmts\?", t["url"]).group(1) for t in tiles] == ["vec_w", "cva_w"]
    assert all(t["url"].startswith("https://t{s}.tianditu.gov.cn/") and t["url"].endswith(f"&tk={KEY}")
               and t["subdomains"] == "01234567" for t in tiles)
    hosts = [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    assert _img_src(r) == ["'self'", "data:", "blob:", *hosts]
    # the key is in the two tile templates (the browser sends it to t0-t7.tianditu.gov.cn) and nowhere else
    assert html.count(KEY) == 2
    assert KEY not in str(r.headers)
    page = client.get("/map")
    assert KEY not in page.get_data(as_text=True) and KEY not in str(page.headers)
    assert _base(html)["attribution"] == "天地图"


@pytest.mark.parametrize("settings", [
    {"TIANDITU_KEY": "not a key\"};alert(1)//"},
    {"TILE_URL": "javascript:alert(1)"},
    {"TILE_URL": "https://tiles.example.cn/{z}/{x}/{y}.png", "TILE_CRS": "bd09"},
])
def test_a_setting_that_cannot_work_leaves_relief_s_own_map(settings, caplog):
    from relief.geo import tiles

    tiles._from_settings.cache_clear()  # a setting is judged (and logged) once per process
    chosen = tiles.from_config({"TILE_URL": "none", **settings})
    assert chosen == tiles.OFFLINE and chosen.hosts == ()
    assert any(record.levelname == "ERROR" for record in caplog.records)


def test_a_template_wins_over_a_tianditu_key():
    from relief.geo import tiles

    chosen = tiles.from_config({"TIANDITU_KEY": KEY, "TILE_URL": "https://{s}.tiles.example.cn/{z}/{x}/{y}.png"})
    assert chosen.kind == "template" and KEY not in str(chosen)
    assert chosen.hosts == tuple(f"https://{s}.tiles.example.cn" for s in "abc")


@pytest.mark.config(TILE_URL="https://tiles.example.cn/{z}/{x}/{y}.png", TILE_CRS="gcj02")
def test_gcj02_tiles_get_the_points_shifted_on_the_way_out_never_in_storage(client, auth, district):
    from relief.geo.coords import CoordSystem, distance_m, from_wgs84

    auth.login("admin")
    html = client.get("/map/frame").get_data(as_text=True)
    a = _villages(html)["甲村"]
    expected = from_wgs84(33.9, 118.3, CoordSystem.GCJ02)
    assert distance_m((a["lat"], a["lng"]), expected) < 2 and distance_m((a["lat"], a["lng"]), (33.9, 118.3)) > 100
    db_row = sa.select(Village.lat, Village.lng).where(Village.id == district["a"].id)
    from relief.extensions import db

    assert tuple(db.session.execute(db_row).one()) == (33.9, 118.3)


# -- relief's own base map ------------------------------------------------------------------------

def _shape(polygons):
    from relief.geo import counties

    return counties.decode(polygons, counties.SCALE)


def test_the_base_map_has_one_area_per_township_and_a_name_for_every_village(client, auth, district):
    import shapely

    auth.login("admin")
    html = client.get("/map/frame").get_data(as_text=True)
    base, weak = _base(html), _villages(html)
    assert sorted(t[0] for t in base["townships"]) == ["东镇", "西镇"]
    areas = {t[0]: _shape(t[4]) for t in base["townships"]}
    assert all(a.area > 0 for a in areas.values())
    assert areas["东镇"].intersection(areas["西镇"]).area < 1e-9  # neighbours share a border, never land
    # every village is named once: the weak ones by the village layer, the others as base labels
    assert [label[2] for label in base["labels"]] == ["普通村"] and set(weak) == {"甲村", "乙村", "丙村"}
    # and lies in its own township's area
    assert areas["西镇"].covers(shapely.Point(118.4, 34.0)) and areas["东镇"].covers(shapely.Point(118.35, 33.95))
    for t in base["townships"]:
        assert areas[t[0]].covers(shapely.Point(t[3], t[2]))  # each name is drawn inside its area


def test_the_outline_is_the_county_that_holds_the_villages(client, auth, district):
    auth.login("admin")
    base = _base(client.get("/map/frame").get_data(as_text=True))
    assert base["district"] == {"name": "江苏省宿迁市宿豫区", "code": "321311", "source": "county"}
    import shapely

    outline = _shape(base["outline"])
    assert outline.covers(shapely.Point(118.35, 33.95)) and 0.09 < outline.area < 0.13  # 宿豫区, ~1,000 km²


@pytest.mark.parametrize("setting, code", [("321302", "321302"), ("宿迁市宿城区", "321302"), ("none", "")])
def test_the_district_setting_names_the_outline(app, client, auth, district, setting, code):
    app.config["DISTRICT"] = setting
    auth.login("admin")
    base = _base(client.get("/map/frame").get_data(as_text=True))
    assert base["district"]["code"] == code and base["district"]["source"] == ("county" if code else "hull")
    import shapely

    if not code:  # the villages' own hull holds them all
        outline = _shape(base["outline"])
        assert all(outline.covers(shapely.Point(lng, lat)) for lat, lng in ((33.9, 118.3), (34.0, 118.4)))


def test_villages_spread_over_several_counties_get_their_own_hull(client, auth, f, district):
    """4 of the 9 villages in 宿豫区: no county holds half of them."""
    import shapely

    for i, (lat, lng) in enumerate([(39.9, 116.4), (30.3, 120.1), (34.26, 117.18), (32.06, 118.8), (31.23, 121.47)]):
        f.village(district["west"], f"远{i}村", lat=lat, lng=lng)
    f.commit()
    auth.login("admin")
    base = _base(client.get("/map/frame").get_data(as_text=True))
    assert base["district"]["source"] == "hull"
    assert _shape(base["outline"]).covers(shapely.MultiPoint([(116.4, 39.9), (121.47, 31.23), (118.3, 33.9)]))


def test_an_ambiguous_district_name_is_logged_and_the_villages_decide(app, client, auth, district, caplog):
    app.config["DISTRICT"] = "鼓楼区"
    auth.login("admin")
    base = _base(client.get("/map/frame").get_data(as_text=True))
    assert base["district"]["code"] == "321311"
    assert any("鼓楼区" in r.getMessage() and "several counties" in r.getMessage() for r in caplog.records)


def test_the_base_map_is_built_once_and_kept_for_every_process(client, auth, district, app, monkeypatch):
    from pathlib import Path

    from relief.maps import basemap

    builds = []
    real = basemap.build
    monkeypatch.setattr(basemap, "build", lambda *a: builds.append(1) or real(*a))
    auth.login("admin")
    client.get("/map/frame")
    client.get(f"/map/frame?year={YEAR - 1}")
    client.get("/map/frame?township=东镇")
    assert len(builds) == 1
    kept = list((Path(app.instance_path) / "basemap").glob("*.json"))
    assert len(kept) == 1 and kept[0].stat().st_size < 50_000
    # another process has an empty memory: it reads the kept file and builds nothing
    basemap._memo.clear()
    services.cache.clear()
    client.get("/map/frame")
    assert len(builds) == 1
    # a village moved: built again
    submit(client, f"/villages/{district['c'].id}/location", coord_system="wgs84", lat="34.01", lng="118.41")
    services.cache.clear()
    client.get("/map/frame")
    assert len(builds) == 2


def test_a_leader_s_map_shows_the_own_township_only(client, auth, f, district):
    f.village(district["west"], "西普通村", lat=34.02, lng=118.42)
    f.commit()
    auth.login("leader")
    base = _base(client.get("/map/frame").get_data(as_text=True))
    assert [t[0] for t in base["townships"]] == ["东镇"] and [label[2] for label in base["labels"]] == ["普通村"]
    assert "西镇" not in json.dumps(base, ensure_ascii=False) and "西普通村" not in json.dumps(base, ensure_ascii=False)


def test_the_township_filter_zooms_to_the_township(client, auth, district):
    import shapely

    auth.login("admin")
    whole = _base(client.get("/map/frame").get_data(as_text=True))
    one = _base(client.get("/map/frame?township=西镇").get_data(as_text=True))
    area = _shape(one["townships"][0][4])
    minx, miny, maxx, maxy = area.bounds
    assert one["bounds"] == pytest.approx([miny, minx, maxy, maxx], abs=1e-4)
    assert one["bounds"] != whole["bounds"] and [t[0] for t in one["townships"]] == ["西镇"]
    assert shapely.box(whole["bounds"][1], whole["bounds"][0], whole["bounds"][3], whole["bounds"][2]).covers(area)


def test_the_map_page_has_a_titled_frame_a_legend_in_words_and_no_inline_script(client, auth, district):
    auth.login("admin")
    html = client.get(f"/map?year={YEAR}").get_data(as_text=True)
    assert re.search(r'<iframe class="map-frame" src="/map/frame\?year=\d+" title="[^"]+"', html)
    for words in ("进度不足60%：1 个村", "进度60%至99%：1 个村", "已达标（100%及以上）：1 个村"):
        assert words in html
    for chunk in html.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert "src=" in tag or 'type="application/json"' in tag  # data, never code
    # the table lists the village furthest behind first
    assert html.index("甲村") < html.index("丙村") < html.index("乙村")


def test_the_map_is_cached_and_refreshed_when_an_income_changes(client, auth, district, monkeypatch):
    renders = []
    real = folium_local.render
    monkeypatch.setattr(folium_local, "render", lambda *a, **kw: renders.append(1) or real(*a, **kw))
    auth.login("admin")
    first = client.get("/map/frame").get_data(as_text=True)
    client.get("/map/frame")
    client.get("/map")
    assert len(renders) == 1 and _villages(first)["甲村"]["percent"] == 59

    a = district["a"]
    submit(client, f"/villages/{a.id}/income", year=str(YEAR), income="15")
    after = client.get("/map/frame").get_data(as_text=True)
    assert len(renders) == 2 and _villages(after)["甲村"]["band"] == "green"


def test_a_change_made_by_another_process_refreshes_the_map(client, auth, district, app):
    """The version comes from the database, so a write through any other process is seen."""
    auth.login("admin")
    assert _villages(client.get("/map/frame").get_data(as_text=True))["丙村"]["band"] == "orange"
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:  # not this app's session: as if another gunicorn worker wrote it
        conn.execute(sa.update(VillageIncome).where(VillageIncome.village_id == district["c"].id)
                     .values(income_yuan=10_000))
    engine.dispose()
    assert _villages(client.get("/map/frame").get_data(as_text=True))["丙村"]["band"] == "red"


def test_a_project_or_target_change_refreshes_the_map(client, auth, district):
    auth.login("admin")
    assert _villages(client.get("/map/frame").get_data(as_text=True))["甲村"]["projected"] == 89_999
    submit(client, "/projects/new?village_id=%d" % district["a"].id, name="标准厂房", type="standard_factory",
           responsible_cadre="", funding_source="", funding="", started_on="", finished_on="",
           expected_income="3", actual_income="", households_benefited="", people_benefited="", description="")
    assert _villages(client.get("/map/frame").get_data(as_text=True))["甲村"]["projects"] == 2
    submit(client, f"/villages/{district['a'].id}/target", year=str(YEAR), target="8")
    assert _villages(client.get("/map/frame").get_data(as_text=True))["甲村"]["band"] == "green"


def test_script_json_cannot_close_its_element():
    text = folium_local.script_json({"name": "</script><script>alert(1)</script>&\u2028"})
    assert "</" not in text and "<" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>&\u2028"
