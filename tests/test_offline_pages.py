"""What the server gives the phone for a day without a signal: the service worker with this
release's shell, the list of pages to keep at sign-in, the queue page, and the queue's settings."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from relief.assets import StaticFiles
from relief.visits.offline import SHELL_FILES, service_worker_script

from .visit_support import paired


def worker_settings(script: str) -> dict:
    return json.loads(re.match(r"var RELIEF = (\{.*?\});\n", script).group(1))


def test_the_service_worker_names_this_releases_shell_under_hashed_urls(client):
    r = client.get("/sw.js")
    assert r.status_code == 200 and "javascript" in r.mimetype
    assert r.headers["Cache-Control"] in ("no-cache", "no-store") and r.headers["Service-Worker-Allowed"] == "/"
    settings = worker_settings(r.get_data(as_text=True))
    assert set(settings["shell"]) == set(SHELL_FILES) and settings["offline"] == "/offline"
    for name, url in settings["shell"].items():
        assert re.fullmatch(r"/static/.+\.[0-9a-f]{12}\.[a-z]+", url), url
        assert client.get(url).headers["Cache-Control"].endswith("immutable")
    assert settings["pages"] == "relief-pages" and settings["page_wait"] == 8


def test_a_changed_shell_file_makes_a_new_service_worker(app, tmp_path):
    """A new script is what makes browsers install the new worker and drop the old shell."""
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)
    app.extensions["relief_static"] = StaticFiles(static)
    with app.test_request_context():
        before = worker_settings(service_worker_script())
        (static / "css" / "app.css").write_text("body { color: #000 }")
        after = worker_settings(service_worker_script())
    assert before["version"] != after["version"]
    assert before["shell"]["css/app.css"] != after["shell"]["css/app.css"]
    assert before["shell"]["js/offline.js"] == after["shell"]["js/offline.js"]


def test_the_no_signal_page_is_the_same_for_everyone(client, f, auth):
    paired(f)
    auth.login("cad")
    html = client.get("/offline").get_data(as_text=True)
    assert "没有网络" in html and 'id="kept-pages"' in html
    assert "cad" not in re.sub(r"<script.*?</script>", "", html, flags=re.S).split("<main", 1)[0]  # no name in the menu
    assert 'name="csrf-token"' not in html and 'id="sync-status"' not in html and "退出" not in html


def test_a_cadre_keeps_the_home_the_queue_and_each_paired_households_form(client, f, auth):
    me = paired(f)
    other = f.household(name="别人家")  # not paired with this cadre
    f.commit()
    auth.login("cad")
    pages = client.get("/offline/pages").get_json()["pages"]
    urls = [p["url"] for p in pages]
    assert urls[:2] == ["/", "/visits/queue"]
    assert f"/visits/new?household_id={me.household.id}" in urls and f"/households/{me.household.id}" in urls
    assert f"/visits/new?household_id={other.id}" not in urls and f"/households/{other.id}" not in urls
    assert {"title": "记录走访 · 王大伯", "url": f"/visits/new?household_id={me.household.id}"} in pages
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_pages_to_keep_and_the_queue_need_a_sign_in(client):
    assert client.get("/offline/pages").status_code == 302
    assert client.get("/visits/queue").status_code == 302


def offline_config(html: str) -> dict:
    raw = re.search(r'<script type="application/json" id="relief-offline-config">(.*?)</script>', html, re.S).group(1)
    return json.loads(raw)


def test_the_queue_runs_with_the_time_limits_of_the_configuration(client, f, auth):
    paired(f)
    auth.login("cad")
    config = offline_config(client.get("/visits/queue").get_data(as_text=True))
    assert (config["send_timeout"], config["photo_timeout"], config["retry"], config["keep_timeout"]) == (
        30, 30, [5, 15, 60, 120], 30)
    assert config["pages"] == "/offline/pages" and config["queue"] == "/visits/queue"


@pytest.mark.config(SYNC_TIMEOUT_SECONDS=45, SYNC_TIMEOUT_PER_PHOTO_SECONDS=20, SYNC_RETRY_SECONDS=("10", "30"))
def test_an_office_can_change_the_time_limits(client, f, auth):
    paired(f)
    auth.login("cad")
    config = offline_config(client.get("/").get_data(as_text=True))
    assert (config["send_timeout"], config["photo_timeout"], config["retry"]) == (45, 20, [10, 30])


def test_the_queue_page_speaks_english_when_chosen(client, f, auth):
    paired(f)
    auth.login("cad")
    html = client.get("/visits/queue?lang=en").get_data(as_text=True)
    assert "Visits waiting to be sent" in html and "Save the waiting visits to a file" in html
    assert offline_config(html)["text"]["offline"].startswith("No signal:")
