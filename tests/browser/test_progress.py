"""A township leader on a phone with no internet: the progress map and the dashboard."""
import re

import pytest

from .conftest import AXE


def _weak_villages(phone) -> int:
    """How many weak villages the user's own village list shows (an independent count)."""
    phone.goto("/villages/?weak=1")
    return int(re.search(r"共 (\d+) 个", phone.page.inner_text("h1")).group(1))


def _map_frame(phone):
    phone.page.wait_for_selector("iframe.map-frame")
    frame = phone.page.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-container").wait_for()
    return next(f for f in phone.page.frames if "/map/frame" in f.url)


LAYER = "Object.keys(window).filter(k => k.startsWith('village_layer_')).map(k => window[k])"


def _drawn(frame) -> dict:
    """Features in the GeoJSON layer, and how many of their centres are painted on the canvas."""
    frame.wait_for_timeout(300)  # Leaflet paints the canvas on the next animation frame
    return frame.evaluate(f"""() => {{
        const layers = {LAYER};
        const markers = layers[0].getLayers();
        const renderer = markers[0]._renderer;
        const canvas = renderer._container;
        const ratio = canvas.width / canvas.clientWidth;
        const ctx = canvas.getContext('2d');
        const painted = markers.filter(m => {{
            const p = m._point.subtract(renderer._bounds.min).multiplyBy(ratio);
            return ctx.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data[3] > 0;
        }}).length;
        return {{layers: layers.length, features: markers.length, painted: painted,
                 canvas: renderer instanceof L.Canvas,
                 svgPaths: document.querySelectorAll('path.leaflet-interactive').length}};
    }}""")


def _axe(frame) -> list:
    frame.evaluate(AXE.read_text() + "\n;window.axe = axe;")
    return frame.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(v => v.id)""")


@pytest.mark.parametrize("user", ["demo-leader", "demo-admin"])
def test_every_weak_village_is_drawn_with_no_internet(phone, user):
    phone.login(user)
    expected = _weak_villages(phone)
    assert expected > 0
    phone.goto("/map")
    frame = _map_frame(phone)
    drawn = _drawn(frame)
    assert drawn == {"layers": 1, "features": expected, "painted": expected, "canvas": True, "svgPaths": 0}
    assert phone.outside == [] and phone.console_errors == []
    assert phone.horizontal_overflow() <= 0


def test_a_popup_says_the_band_in_words(phone):
    phone.login("demo-leader")
    phone.goto("/map")
    frame = _map_frame(phone)
    frame.evaluate(f"() => {{ {LAYER}[0].getLayers()[0].openPopup(); }}")
    text = frame.locator(".leaflet-popup-content").inner_text()
    assert re.search(r"\d+% · (进度不足60%|进度60%至99%|已达标（100%及以上）)", text)
    for label in ("乡镇", "收入", "目标", "挂钩领导", "驻村干部", "帮扶项目", "预计收入"):
        assert label in text
    legend = frame.locator(".map-legend").inner_text()
    assert "进度不足60%" in legend and "已达标" in legend


def test_names_in_a_popup_stay_text_in_the_browser(phone):
    """The real script, in the real browser, with a name that would run code as HTML."""
    phone.login("demo-leader")
    phone.goto("/map")
    frame = _map_frame(phone)
    dialogs = []
    phone.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    evil = "<img src=x onerror=alert(1)>"
    result = frame.evaluate("""(evil) => {
        const source = document.querySelector('script[type="application/json"]');
        const data = JSON.parse(source.textContent);
        const row = data.villages[0].slice();
        row[data.fields.indexOf('name')] = evil;
        row[data.fields.indexOf('leader')] = evil;
        data.villages = [row];
        const element = document.createElement('script');
        element.type = 'application/json';
        element.textContent = JSON.stringify(data);
        document.body.appendChild(element);
        const map = Object.values(window).find(v => v instanceof L.Map);
        const layer = reliefMap.addVillages(map, element);
        layer.getLayers()[0].openPopup();
        const popups = document.querySelectorAll('.leaflet-popup-content');
        const content = popups[popups.length - 1];
        return {images: content.querySelectorAll('img').length, name: content.querySelector('strong').textContent};
    }""", evil)
    phone.page.wait_for_timeout(300)
    assert result == {"images": 0, "name": evil}
    assert dialogs == []


def test_the_map_page_and_its_frame_pass_the_accessibility_check(phone):
    phone.login("demo-leader")
    phone.goto("/map")
    frame = _map_frame(phone)
    assert phone.page.get_attribute("html", "lang") == "zh-CN" and "地图" in phone.page.title()
    assert phone.page.get_attribute("iframe.map-frame", "title")
    assert phone.axe_violations() == []
    assert _axe(frame) == []
    assert frame.evaluate("document.documentElement.lang") == "zh-CN" and frame.title()


def test_the_dashboard_fits_a_phone_and_passes_the_accessibility_check(phone):
    phone.login("demo-leader")
    phone.goto("/dashboard?sort=name&dir=asc")
    assert "工作看板" in phone.page.inner_text("h1")
    assert phone.page.locator("svg.chart .chart-bar").count() == 12
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    assert phone.console_errors == [] and phone.outside == []


def test_the_district_dashboard_drills_down_to_a_township(phone):
    phone.login("demo-inspector")
    phone.goto("/dashboard")
    assert phone.page.inner_text("h1").startswith("全区")
    phone.page.click("#townships ~ div a >> nth=0")
    phone.page.wait_for_load_state("networkidle")
    assert "township=" in phone.page.url and not phone.page.inner_text("h1").startswith("全区")
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []


def test_the_village_and_project_pages_fit_a_phone(phone):
    phone.login("demo-admin")
    phone.goto("/villages/?weak=1")
    phone.page.click("table a >> nth=0")
    phone.page.wait_for_load_state("networkidle")
    assert phone.page.locator("svg.chart").count() == 1
    assert phone.horizontal_overflow() <= 0 and phone.axe_violations() == []
    phone.page.click("main ul a[href^='/projects/'] >> nth=0")
    phone.page.wait_for_load_state("networkidle")
    assert phone.page.locator("ol.stages li").count() == 4
    assert phone.horizontal_overflow() <= 0 and phone.axe_violations() == []
    assert phone.console_errors == [] and phone.outside == []
