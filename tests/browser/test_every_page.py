"""Every page a role can reach by following links fits a 360-px phone and loads without a console
error or a request leaving 127.0.0.1; the admin's and the cadre's pages also pass axe-core (WCAG
2.1 A and AA). The leader's and inspector's pages are mostly the admin's in a narrower scope, and
axe on them again would cost CI a minute.

The crawl starts at the home page, follows the links on each page it opens and opens one page
of each shape (/households/12 and /households/31 are one shape), so a page added later is
checked without being listed here.
"""
from __future__ import annotations

import re

import pytest

#: links not followed: leaving, switching language, files, JSON, paging and sorting variants
SKIP = re.compile(r"logout|lang=|download|/exports/jobs|\.xlsx|\.csv|/static/|/photos?/|/api/|template|"
                  r"[?&](page|sort)=|/map/frame")


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


@pytest.mark.parametrize("username, at_least, axe", [("demo-admin", 35, True), ("demo-leader", 25, False),
                                                      ("demo-inspector", 25, False), ("demo-cadre", 12, True)])
def test_every_reachable_page_fits_a_phone(phone, username, at_least, axe):
    phone.login(username)
    queue, seen, problems = ["/"], set(), []
    while queue:
        path = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        phone.console_errors.clear()
        response = phone.goto(path)
        if response.status != 200:
            problems.append((path, "status", response.status))
            continue
        if phone.horizontal_overflow() > 0:
            problems.append((path, "wider than the phone", phone.horizontal_overflow()))
        if phone.console_errors:
            problems.append((path, "console", phone.console_errors[:2]))
        violations = phone.axe_violations() if axe else []
        if violations:
            problems.append((path, "axe", violations))
        hrefs = phone.page.evaluate("Array.from(document.querySelectorAll('a[href]'), a => a.getAttribute('href'))")
        queue += [h for h in hrefs if h.startswith("/") and not h.startswith("//") and not SKIP.search(h)]
    assert problems == [], "\n".join(map(repr, problems))
    assert phone.outside == []
    assert len(seen) >= at_least, sorted(seen)
