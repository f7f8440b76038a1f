"""folium with every asset served by this app, and the base and village layers of the progress map.

folium's own Map links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; LocalMap lists only
files in static/ (changing this subclass, not folium's class-level lists shared by every map).
The village layer is one Leaflet GeoJSON layer drawn on the map's canvas (prefer_canvas), built
in static/js/map-frame.js from compact JSON rows: folium.GeoJson would embed a GeoJSON feature
and a style per village, 2.3 MB and 0.4 s for 10,000 villages instead of ~1 MB and ~0.05 s.
"""
from __future__ import annotations

import json
import re

import folium
from branca.element import Element, Figure
from folium.template import Template


class LocalMap(folium.Map):
    """A folium.Map whose scripts and styles come from this server (set per instance in build)."""

    default_js = [("leaflet", "/static/vendor/leaflet/leaflet.js"), ("relief_map", "/static/js/map-frame.js")]
    default_css = [("leaflet_css", "/static/vendor/leaflet/leaflet.css"),
                   ("relief_map_css", "/static/css/map-frame.css")]


class FrameFigure(Figure):
    """folium's document with a language and a title, which its own Figure lacks."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang|e }}">\n'
        "<head>\n"
        "<title>{{ this.title|e }}</title>\n"
        "{{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        "{{ this.html.render(**kwargs) }}\n"
        "<script>\n"
        "{{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</body>\n"
        "</html>\n"
    )

    def __init__(self, title: str, lang: str):
        super().__init__(title=title)
        self.lang = lang


def script_json(data) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' can end or open a tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class _Raw(Element):
    """Text placed in the document as it is.

    branca compiles the text a macro produces as a Jinja template of its own: for a megabyte of
    village data that costs ~0.4 s, and it would evaluate any "{{ ... }}" a user typed into a name.
    """

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _DataLayer(folium.MacroElement):
    """JSON in the document, drawn by a function of static/js/map-frame.js: reliefMap.<draw>(map, element)."""

    draw = ""
    kind = ""

    def __init__(self, payload: dict):
        super().__init__()
        self._name = self.kind
        self.payload = script_json(payload)

    def render(self, **kwargs) -> None:
        figure, name = self.get_root(), self.get_name()  # names are kind + "_" + hex: safe in HTML and JS
        figure.html.add_child(_Raw(f'<script type="application/json" id="{name}-data">{self.payload}</script>'),
                              name=name)
        figure.script.add_child(_Raw(f'var {name} = reliefMap.{self.draw}({self._parent.get_name()}, '
                                     f'document.getElementById("{name}-data"));'), name=name)


class BaseLayer(_DataLayer):
    """The base map: relief's own (outline, townships, names) or tiles (reliefMap.addBase)."""

    draw, kind = "addBase", "BaseLayer"


class VillageLayer(_DataLayer):
    """The weak villages, drawn by reliefMap.addVillages."""

    draw, kind = "addVillages", "VillageLayer"


_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')


def render(base: dict, villages: dict, *, center, title: str, lang: str, assets: dict[str, str]) -> str:
    """The whole map document; `assets` maps the names in LocalMap's lists to this app's URLs.

    No tile layer is added here: the base payload names the tiles, if any, and the script draws
    them (Leaflet's attribution prefix, with its flag, is replaced there too)."""
    m = LocalMap(location=center, zoom_start=10, tiles=None, prefer_canvas=True, max_zoom=18)
    m.default_js = [(name, assets.get(name, url)) for name, url in LocalMap.default_js]
    m.default_css = [(name, assets.get(name, url)) for name, url in LocalMap.default_css]
    BaseLayer(base).add_to(m)
    VillageLayer(villages).add_to(m)
    figure = FrameFigure(title=title, lang=lang)
    figure.add_child(m)
    html = figure.render()
    # folium forbids zooming the page (user-scalable=no), which WCAG 1.4.4 does not allow.
    return _VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1">', html, count=1)
