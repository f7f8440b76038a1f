"""The progress map: scope, escaping, local assets, tiles, the cache and its refresh."""
import json
import re

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.maps import folium_local, services
from relief.models import PairingKind, Role, VillageIncome

from .forms import submit

EVIL = "<img src=x onerror=alert(1)>"
YEAR = today().year


@pytest.fixture(autouse=True)
def fresh_cache():
    services.cache.clear()
    yield
    services.cache.clear()


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
    assert 'src="/static/vendor/leaflet/leaflet.js"' in html and 'href="/static/vendor/leaflet/leaflet.css"' in html
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    inline = [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag and "application/json" not in tag]
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)
    assert "user-scalable=no" not in html
    assert "L.tileLayer" not in html  # TILE_URL is "none" in tests: no base layer, villages still drawn
    assert "reliefMap.addVillages" in html and "preferCanvas" in html


@pytest.mark.config(TILE_URL="https://tiles.example.cn/{z}/{x}/{y}.png", TILE_ATTRIBUTION="天地图")
def test_tiles_come_from_the_configured_server(client, auth, district):
    auth.login("admin")
    r = client.get("/map/frame")
    html = r.get_data(as_text=True)
    assert "L.tileLayer" in html and "https://tiles.example.cn/{z}/{x}/{y}.png" in html
    assert "https://tiles.example.cn" in r.headers["Content-Security-Policy"]


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
