"""A live relief server with the small demo, and headless Chromium at a phone's size.

Debian's /usr/bin/chromium is driven through Playwright's executable_path; no browser is
downloaded. Without Chromium these tests are skipped, unless RELIEF_REQUIRE_BROWSER=1 (CI),
where a missing browser is a failure.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from relief import create_app
from relief.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
        # no host but 127.0.0.1 resolves, so nothing can leave the machine; the phone fixture lists
        # what tried (cheaper than routing every request through the test, and keeps the HTTP cache)
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DEMO_PASSWORD = "浏览器测试密码"
PHONE = dict(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
             user_agent="Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "Chrome/120.0 Mobile Safari/537.36", locale="zh-CN")


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app behind the live server: a fresh SQLite database with the small demo."""
    from relief.dates import today
    from relief.demo import generate

    root = tmp_path_factory.mktemp("live")
    app = create_app({"DATABASE_URL": f"sqlite:///{root / 'live.db'}", "SECRET_KEY": "browser-tests",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "TILE_URL": "none",
                      "LOGIN_LIMIT_PER_USER": "1000 per minute", "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute"})
    app.instance_path = str(root / "instance")
    with app.app_context():
        db.create_all()
        generate("small", 4, DEMO_PASSWORD, today(), echo=lambda *_: None)
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """Serve the live app on 127.0.0.1 and a free port."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("RELIEF_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing but RELIEF_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page plus what it did: console errors and requests that tried to leave 127.0.0.1."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.console_errors: list[str] = []
        self.outside: list[str] = []

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def login(self, username: str, password: str = DEMO_PASSWORD):
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def horizontal_overflow(self) -> int:
        """How far the page reaches past the phone's width. Measured against the layout viewport
        (clientWidth): a mobile browser zooms out to fit a too-wide page, which widens innerWidth
        along with it and would hide the overflow."""
        return self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")

    def preload_axe(self) -> None:
        """Load axe-core into every page this context opens from now on: cheaper than sending it
        after each load when a test checks many pages (init scripts are not subject to the CSP)."""
        self.page.context.add_init_script(script=AXE.read_text())

    def axe_violations(self) -> list[dict]:
        # evaluate() runs through the DevTools protocol, so the page's CSP does not block axe
        if not self.page.evaluate("typeof window.axe === 'object'"):
            self.page.evaluate(AXE.read_text() + "\n;window.axe = axe;")
        result = self.page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
        return result


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    watched = Watched(page, live_server)

    def on_request(request):
        url = request.url
        if urlsplit(url).hostname != "127.0.0.1" and not url.startswith(("data:", "blob:")):
            watched.outside.append(url)

    context.on("request", on_request)
    page.on("console", lambda msg: msg.type == "error" and watched.console_errors.append(msg.text))
    page.on("pageerror", lambda err: watched.console_errors.append(str(err)))
    yield watched
    context.close()
