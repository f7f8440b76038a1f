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
    legend = frame.locator(".map-legend").text_content()  # folded away while the popup is open
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
        const source = document.querySelector('script[id^="village_layer_"]');
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
        map.closePopup();
        map.setView(layer.getLayers()[0].getLatLng(), 14, {animate: false});  // its name as a label too
        const label = [...document.querySelectorAll('.village-label span')].find(s => s.textContent === evil);
        return {images: content.querySelectorAll('img').length + document.querySelectorAll('.leaflet-pane img').length,
                name: content.querySelector('strong').textContent, label: label ? label.textContent : null};
    }""", evil)
    phone.page.wait_for_timeout(300)
    assert result == {"images": 0, "name": evil, "label": evil}
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


# -- relief's own base map, on a phone with no internet (issue 14) and readable at 360 px (issue 13) --

MAP = "Object.values(window).find(v => v instanceof L.Map)"
BASE = "Object.keys(window).filter(k => k.startsWith('base_layer_')).map(k => window[k])[0]"


def _base_data(frame) -> dict:
    return frame.evaluate("""() => JSON.parse(document.querySelector('script[id^="base_layer_"]').textContent)""")


def test_the_base_map_is_drawn_from_relief_s_own_data(phone):
    phone.login("demo-admin")
    phone.goto("/map")
    frame = _map_frame(phone)
    data = _base_data(frame)
    assert data["district"]["code"] == "321311" and len(data["townships"]) == 8
    frame.wait_for_timeout(300)
    drawn = frame.evaluate(f"""() => {{
        const map = {MAP}, base = {BASE};
        const canvas = base.renderer._container, ratio = canvas.width / canvas.clientWidth;
        const ctx = canvas.getContext('2d'), origin = base.renderer._bounds.min;
        const painted = base.townships.getLayers().filter(area => {{
            const p = map.latLngToLayerPoint(area.getCenter()).subtract(origin).multiplyBy(ratio);
            return ctx.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data[3] > 0;
        }}).length;
        const names = [...document.querySelectorAll('.township-label span')];
        return {{areas: base.townships.getLayers().length, painted: painted,
                 outline: base.outline.getLayers().length,
                 names: names.map(n => n.textContent).sort(),
                 shown: names.filter(n => getComputedStyle(n).visibility !== 'hidden').length,
                 villageNames: document.querySelectorAll('.village-label').length, zoom: map.getZoom()}};
    }}""")
    assert drawn["areas"] == 8 and drawn["painted"] == 8 and drawn["outline"] == 2
    assert drawn["names"] == sorted(t[0] for t in data["townships"]) and drawn["shown"] >= 5
    assert drawn["villageNames"] == 0 and drawn["zoom"] < 12  # the whole district: no village names yet
    # zoomed in on a village: every village in view is named, the weak ones and the others
    named = frame.evaluate(f"""() => new Promise(done => {{
        const map = {MAP}, v = {LAYER}[0].getLayers()[0].getLatLng();
        map.once('moveend', () => setTimeout(() => {{
            const view = map.getBounds().pad(0.1);
            const inView = map._relief.labels.filter(v => view.contains([v[0], v[1]])).map(v => v[2]);
            const labels = [...document.querySelectorAll('.village-label span')].map(s => s.textContent);
            done({{inView: inView.sort(), labels: labels.sort(), zoom: map.getZoom()}});
        }}, 100));
        map.setView(v, 13, {{animate: false}});
    }})""")
    assert named["zoom"] == 13 and len(named["inView"]) >= 4 and named["labels"] == named["inView"]
    assert phone.outside == [] and phone.console_errors == []


def test_the_map_asks_nothing_of_any_other_server_however_it_is_moved(phone):
    phone.login("demo-leader")
    phone.goto("/map")
    frame = _map_frame(phone)
    for zoom in (8, 11, 14, 17):
        frame.evaluate(f"() => {MAP}.setZoom({zoom}, {{animate: false}})")
        frame.wait_for_timeout(200)
    frame.evaluate(f"() => {MAP}.panBy([200, 150], {{animate: false}})")
    frame.wait_for_timeout(300)
    assert frame.locator("img.leaflet-tile").count() == 0 and frame.locator("img").count() == 0
    assert phone.outside == [] and phone.console_errors == []
    # Leaflet's own credit (with its flag) is gone: the line credits the sketch and the outline's source
    attribution = frame.locator(".leaflet-control-attribution")
    assert attribution.locator("svg").count() == 0 and "Leaflet" not in attribution.inner_text()
    assert "示意图" in attribution.inner_text()


def _rect(frame, selector: str):
    return frame.evaluate(f"""() => {{ const el = document.querySelector({selector!r});
        if (!el) return null; const r = el.getBoundingClientRect(), s = getComputedStyle(el);
        return {{x: r.x, y: r.y, w: r.width, h: r.height, visible: s.visibility !== 'hidden' && r.width > 0}}; }}""")


def _overlap(a, b) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def test_a_tap_on_a_village_then_on_its_popup_link_opens_the_village_page(phone):
    phone.login("demo-leader")
    phone.goto("/map")
    frame = _map_frame(phone)
    phone.page.locator("iframe.map-frame").scroll_into_view_if_needed()
    frame.wait_for_timeout(300)
    # the village nearest the middle of the map, tapped with a finger where it is drawn
    target = frame.evaluate(f"""() => {{
        const map = {MAP}, size = map.getSize(), layer = {LAYER}[0];
        const markers = layer.getLayers().map(m => [m, map.latLngToContainerPoint(m.getLatLng())]);
        markers.sort((a, b) => a[1].distanceTo(size.divideBy(2)) - b[1].distanceTo(size.divideBy(2)));
        const [m, p] = markers[0], r = map.getContainer().getBoundingClientRect();
        return {{x: r.left + p.x, y: r.top + p.y, id: m.feature.properties.id, name: m.feature.properties.name}};
    }}""")
    box = phone.page.locator("iframe.map-frame").bounding_box()
    phone.page.touchscreen.tap(box["x"] + target["x"], box["y"] + target["y"])
    popup = frame.locator(".leaflet-popup")
    popup.wait_for()
    frame.wait_for_timeout(400)  # the popup pans into view
    assert target["name"] in popup.inner_text()
    # nothing lies over the popup: the legend and the zoom buttons step aside while it is open
    shown = _rect(frame, ".leaflet-popup-content-wrapper")
    for control in (".map-legend", ".leaflet-control-zoom"):
        other = _rect(frame, control)
        assert not (other["visible"] and _overlap(shown, other)), control
    link = _rect(frame, ".leaflet-popup a.village-link")
    assert link["h"] >= 44 and link["w"] >= 44
    assert frame.evaluate(f"""() => document.elementFromPoint({link['x'] + link['w'] / 2}, {link['y'] + link['h'] / 2})
                               .closest('a.village-link') !== null""")
    close = _rect(frame, ".leaflet-popup-close-button")
    assert close["w"] >= 44 and close["h"] >= 44
    frame.locator(".leaflet-popup a.village-link").tap()
    phone.page.wait_for_url(f"**/villages/{target['id']}")
    assert target["name"] in phone.page.inner_text("h1")
    assert phone.outside == [] and phone.console_errors == []


def test_the_map_s_controls_and_text_are_big_enough_for_a_finger_and_the_eye(phone):
    phone.login("demo-leader")
    phone.goto("/map")
    frame = _map_frame(phone)
    for selector in (".leaflet-control-zoom-in", ".leaflet-control-zoom-out", ".map-legend .legend-toggle"):
        r = _rect(frame, selector)
        assert r["w"] >= 44 and r["h"] >= 44, (selector, r)
    toggle = frame.locator(".map-legend .legend-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"  # folded on a phone, out of the map's way
    toggle.tap()
    assert toggle.get_attribute("aria-expanded") == "true" and "进度不足60%" in frame.locator(".map-legend").inner_text()
    frame.evaluate(f"() => {MAP}.setZoom(13, {{animate: false}})")
    frame.wait_for_timeout(300)
    sizes = frame.evaluate("""() => Object.fromEntries(['.map-legend li', '.map-legend .legend-note',
        '.leaflet-control-attribution', '.township-label span', '.village-label span', '.leaflet-control-scale-line']
        .map(s => [s, Math.min(...[...document.querySelectorAll(s)].map(e => parseFloat(getComputedStyle(e).fontSize)))]))""")
    assert all(size >= 14 for size in sizes.values()), sizes
    assert _axe(frame) == []


def test_the_township_filter_zooms_to_the_township(phone):
    phone.login("demo-admin")
    phone.goto("/map")
    whole = _map_frame(phone).evaluate(f"() => {MAP}.getZoom()")
    phone.page.select_option("#township", index=1)
    phone.page.click("form:has(#township) button[type=submit]")
    phone.page.wait_for_load_state("networkidle")
    frame = _map_frame(phone)
    frame.wait_for_timeout(300)
    seen = frame.evaluate(f"""() => {{
        const map = {MAP}, base = JSON.parse(document.querySelector('script[id^="base_layer_"]').textContent);
        const b = base.bounds, view = map.getBounds();
        const villages = {LAYER}[0].getLayers().map(m => m.getLatLng());
        return {{zoom: map.getZoom(), townships: base.townships.map(t => t[0]),
                 holds: view.contains([[b[0], b[1]], [b[2], b[3]]]) && villages.every(p => view.contains(p))}};
    }}""")
    assert seen["zoom"] > whole + 1 and len(seen["townships"]) == 1 and seen["holds"]
    assert seen["townships"][0] in phone.page.inner_text("h1")
