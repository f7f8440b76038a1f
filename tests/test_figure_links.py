"""Every number is a link to exactly its rows: on the small demo, for every role, each figure of the
home, the dashboard, the holiday coverage, the work record and the yearly report opens a list
whose total (shown on the list, whatever its pages) is the figure.

A figure link says how many rows it counts (data-rows; for a rate also data-of, the count it is a
share of; for a number of people data-people, their sum); the test checks the number shown
against that, then opens the list and checks its total against it. The work record counts a
cadre's rows wherever they are (data-everywhere): a list of them holds fewer when some lie outside
the viewer's township, and says how many (data-beyond); the two together are the figure.
"""
from __future__ import annotations

import re
from html import unescape

import pytest

from relief.dates import today
from relief.rates import percent

pytestmark = pytest.mark.slow


_LINK = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
#: link texts that are figures: 12, 88%, 3.5万
_NUMBER = re.compile(r"^\d[\d,.]*(%|万)?$")


def links(html: str) -> list[dict]:
    """Every link of a page: its attributes and its text."""
    out = []
    for m in _LINK.finditer(html):
        attrs = {k: unescape(v) for k, v in _ATTR.findall(m.group(1))}
        attrs["text"] = unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()
        out.append(attrs)
    return out


def pages_of(role: str) -> list[str]:
    year = today().year
    holidays = [f"/visits/holidays?year={year - 1}&kind={k}&by={by}" for k in ("spring_festival", "mid_autumn")
                for by in ("township", "village", "cadre")] + ["/visits/holidays"]
    quarter = (today().month - 1) // 3 + 1
    records = ["/records/", f"/records/?year={year - 1 if quarter == 1 else year}&quarter={4 if quarter == 1 else quarter - 1}"]
    common = ["/", *holidays, *records]
    if role == "cadre":
        return common
    boards = ["/dashboard", f"/dashboard?year={year - 1}"]
    if role in ("admin", "inspector"):
        boards.append("/dashboard?township=1")
    reports = [f"/exports/report?year={year - 1}", "/exports/report"] if role in ("admin", "leader") else []
    return common + boards + reports


@pytest.mark.parametrize("role", ["admin", "leader", "inspector", "cadre"])
def test_every_figure_opens_a_list_of_exactly_its_rows(client, auth, demo, role):
    auth.login(f"demo-{role}")
    opened: dict[str, tuple[int, int, int | None]] = {}
    checked, problems = 0, []
    for page in pages_of(role):
        response = client.get(page)
        assert response.status_code == 200, page
        for a in links(response.get_data(as_text=True)):
            figure = "figure" in a.get("class", "").split()
            if _NUMBER.match(a["text"]) and not figure:
                problems.append((page, "a number that is not a figure link", a["text"], a.get("href")))
            if not figure:
                continue
            rows, text, href = int(a["data-rows"]), a["text"], a["href"]
            if re.fullmatch(r"\d+", text) and "data-people" not in a and int(text) != rows:
                problems.append((page, "shows", text, "counts", rows, href))
            if text.endswith("%") and int(text[:-1]) != percent(rows, int(a["data-of"])):
                problems.append((page, "shows", text, "for", rows, "of", a["data-of"], href))
            if href not in opened:
                listed = client.get(href)
                if listed.status_code != 200:
                    problems.append((page, href, "status", listed.status_code))
                    continue
                body = listed.get_data(as_text=True)
                total = int(re.search(r'data-total="(\d+)"', body).group(1))
                beyond = re.search(r'data-beyond="(\d+)"', body)
                people = re.search(r'data-people="(\d+)"', body)
                opened[href] = (total, int(beyond.group(1)) if beyond else 0, int(people.group(1)) if people else None)
            total, beyond, people = opened[href]
            if total + (beyond if a.get("data-everywhere") else 0) != rows:
                problems.append((page, text, "counts", rows, "but the list holds", total, "+", beyond, href))
            if "data-people" in a and people != int(a["data-people"]):
                problems.append((page, text, "people", a["data-people"], "but the list sums", people, href))
            checked += 1
    assert problems == [], "\n".join(map(repr, problems[:30]))
    assert checked >= {"cadre": 30, "leader": 500}.get(role, 1000), checked
