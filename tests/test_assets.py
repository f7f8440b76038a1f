"""Static files under hashed names kept for a year, every text answer compressed, and a purged
Bootstrap that still has every class the pages use (issue 13, "Bytes")."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
HASHED_LINK = re.compile(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.[a-z]+)"')


def links(html: str) -> list[str]:
    return HASHED_LINK.findall(html)


def decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None, encoding
    return body


def test_pages_link_static_files_by_their_content_hash_and_those_are_kept_for_a_year(client):
    html = client.get("/login").get_data(as_text=True)
    found = links(html)
    assert any("/vendor/bootstrap/bootstrap.min." in u and u.endswith(".css") for u in found)
    assert any(u.startswith("/static/css/app.") for u in found)
    for url in found:
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        plain = re.sub(r"\.[0-9a-f]{12}(\.[a-z]+)$", r"\1", url.removeprefix("/static/"))
        assert r.get_data() == (STATIC / plain).read_bytes()


def test_a_plain_name_or_an_old_hash_gets_todays_file_revalidated_not_kept(client):
    today_css = (STATIC / "css" / "app.css").read_bytes()
    for url in ("/static/css/app.css", "/static/css/app.0123456789ab.css"):
        r = client.get(url)
        assert r.status_code == 200 and r.get_data() == today_css, url
        assert r.headers["Cache-Control"] == "no-cache", url
    assert client.get("/static/css/nothing.0123456789ab.css").status_code == 404
    assert client.get("/static/../relief/config.py").status_code == 404


def test_a_changed_file_gets_a_new_name(app, tmp_path):
    from relief.assets import StaticFiles

    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "app.css"
    sheet.write_text("body{color:red}")
    files = StaticFiles(tmp_path)
    before = files.hashed_name("css/app.css")
    sheet.write_text("body{color:blue}")
    after = files.hashed_name("css/app.css")
    assert before != after and re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", after)
    assert files.resolve(after) == ("css/app.css", True)
    assert files.resolve(before) == ("css/app.css", False)
    assert files.hashed_name("css/missing.css") == "css/missing.css"


@pytest.mark.parametrize("accept, expected", [("gzip, deflate, br, zstd", "br"), ("gzip, deflate", "gzip"),
                                              ("identity", None), ("", None)])
def test_pages_and_static_files_are_compressed_as_the_browser_asks(client, accept, expected):
    page = client.get("/login", headers={"Accept-Encoding": accept})
    assert page.headers.get("Content-Encoding") == expected
    assert "登录结对帮扶系统" in decoded(page).decode()
    assert "Accept-Encoding" in page.headers["Vary"]
    css = next(u for u in links(decoded(page).decode()) if "bootstrap" in u and u.endswith(".css"))
    r = client.get(css, headers={"Accept-Encoding": accept})
    assert r.headers.get("Content-Encoding") == expected
    assert decoded(r) == (STATIC / "vendor" / "bootstrap" / "bootstrap.min.css").read_bytes()
    if expected:
        assert len(r.get_data()) < len(decoded(r)) / 3


def test_a_compressed_static_file_is_revalidated_with_its_own_etag(client):
    url = "/static/css/app.css"
    first = client.get(url, headers={"Accept-Encoding": "br"})
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_refused_form_and_json_answers_are_compressed_too(client):
    from .conftest import csrf_token

    r = client.post("/login", data={"csrf_token": csrf_token(client), "username": "nobody", "password": "x" * 12},
                    headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 422 and r.headers["Content-Encoding"] == "gzip"
    assert "用户名或密码不正确" in decoded(r).decode()
    spec = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "br"})
    assert spec.headers["Content-Encoding"] == "br" and b'"openapi"' in decoded(spec)


# --- the purged Bootstrap ------------------------------------------------------------------------

def bootstrap_classes() -> set[str]:
    lines = (ROOT / "tools" / "css" / "bootstrap-classes.txt").read_text().splitlines()
    return {line for line in lines if line and not line.startswith("#")}


def words_in(globs) -> set[str]:
    """Every word a class could be written as, the way PurgeCSS's default extractor reads files."""
    words = set()
    for pattern in globs:
        for path in ROOT.glob(pattern):
            words |= set(re.findall(r"[A-Za-z0-9_-]+", path.read_text(encoding="utf-8")))
    return words


def test_every_bootstrap_class_the_pages_use_is_in_the_purged_build():
    """A class used in a template, a script or Python after the last `make css` fails here."""
    kept_css = (STATIC / "vendor" / "bootstrap" / "bootstrap.min.css").read_text()
    kept = set(re.findall(r"\.(-?[A-Za-z_][\w-]*)", re.sub(r"url\([^)]*\)", "", kept_css)))
    used = words_in(["templates/**/*.html", "static/js/**/*.js", "relief/**/*.py"]) & bootstrap_classes()
    assert {"btn", "navbar-toggler", "form-control", "alert"} <= used
    assert sorted(used - kept) == []


def test_the_purged_build_is_much_smaller_and_keeps_what_the_collapse_menu_needs():
    css = (STATIC / "vendor" / "bootstrap" / "bootstrap.min.css").read_text()
    assert len(css) < 80_000
    for rule in (".collapse:not(.show)", ".collapsing", ".navbar-toggler-icon", "[hidden]"):
        assert rule in css, rule
    for flashed in ("success", "danger", "warning", "info"):  # alert-{{ category }} in base.html
        assert f".alert-{flashed}" in css


def test_every_bootstrap_plugin_a_template_asks_for_is_in_the_built_script():
    script = (STATIC / "vendor" / "bootstrap" / "bootstrap.min.js").read_text()
    plugins = set(re.search(r"Plugins: ([\w, ]+)\.", script).group(1).replace(" ", "").split(","))
    asked = set()
    for path in ROOT.glob("templates/**/*.html"):
        asked |= set(re.findall(r'data-bs-toggle="(\w+)"', path.read_text(encoding="utf-8")))
    assert asked and asked <= plugins
