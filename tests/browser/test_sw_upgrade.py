"""After an upgrade the phone shows the new release's files, online and offline: the service
worker's script names the new hashed shell, its activation drops the old shell, and a page kept
before the upgrade (asking for an older hash) gets the new file from the new shell."""
from __future__ import annotations

import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from relief import create_app
from relief.assets import StaticFiles

from .conftest import PHONE, Watched
from .test_visit_offline import wait_until_kept

OLD_RED = "rgb(143, 29, 29)"  # --app-red, the menu bar
NEW_GREEN = "rgb(0, 100, 0)"


@pytest.fixture
def server_with_own_static(live_app, tmp_path):
    """The live database served by an app whose static folder is a copy this test may change."""
    static = tmp_path / "static"
    shutil.copytree(live_app.static_folder, static)
    app = create_app({key: live_app.config[key] for key in (
        "DATABASE_URL", "SECRET_KEY", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "TILE_URL",
        "LOGIN_LIMIT_PER_USER", "LOGIN_LIMIT_PER_ADDRESS")})
    app.instance_path = live_app.instance_path
    app.static_folder = str(static)
    app.extensions["relief_static"] = StaticFiles(static)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", static
    server.shutdown()


def menu_colour(page) -> str:
    return page.evaluate("getComputedStyle(document.querySelector('.app-nav')).backgroundColor")


def shells(page) -> list[str]:
    return page.evaluate("caches.keys().then(ks => ks.filter(k => k.startsWith('relief-shell-')))")


def test_after_an_upgrade_no_old_file_is_served_online_or_offline(browser, server_with_own_static):
    base, static = server_with_own_static
    context = browser.new_context(**PHONE)
    phone = Watched(context.new_page(), base)
    page = phone.page
    try:
        phone.login("demo-cadre")
        wait_until_kept(page, ["/", "/visits/queue"])
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        assert page.evaluate("!!navigator.serviceWorker.controller")
        assert menu_colour(page) == OLD_RED
        old_shells = shells(page)
        assert len(old_shells) == 1

        with open(static / "css" / "app.css", "a") as sheet:  # the new release
            sheet.write("\n.app-nav { background: rgb(0, 100, 0) !important; }\n")
        page.reload()
        assert menu_colour(page) == NEW_GREEN  # online: the new hashed name, fetched at once
        for _ in range(100):  # the new worker installs and drops the old shell
            now = shells(page)
            if len(now) == 1 and now != old_shells:
                break
            page.wait_for_timeout(100)
        assert len(shells(page)) == 1 and shells(page) != old_shells

        new_sheet = page.evaluate("[...document.styleSheets].map(s => s.href).find(h => h.includes('/css/app.'))")
        for _ in range(100):  # the pages kept before the upgrade are kept again, with the new names
            if new_sheet.removeprefix(base) in page.evaluate(
                    "caches.open('relief-pages').then(c => c.match('/visits/queue')).then(r => r.text())"):
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError("the queue page kept before the upgrade was not kept again")
        context.new_cdp_session(page).send("Network.clearBrowserCache")  # a small phone dropped its HTTP cache
        context.set_offline(True)
        phone.goto("/")
        expect(page.locator(".household-link")).to_have_count(2)
        assert menu_colour(page) == NEW_GREEN
        phone.goto("/visits/queue")
        expect(page.locator("h1")).to_have_text("待上传的走访")
        assert menu_colour(page) == NEW_GREEN
        # a page still naming the old file (kept by an older release, not yet kept again) gets the new one
        old_sheet = page.evaluate("""() => fetch(location.origin + '/static/css/app.0123456789ab.css')
            .then(r => r.text())""")
        assert "rgb(0, 100, 0)" in old_sheet
    finally:
        context.close()
