"""What the phone keeps for a day without a signal: the service worker's script and shell, the
pages kept at sign-in, and the settings the visit queue in the page runs with (static/js/offline.js)."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from relief import reports
from relief.assets import files, static_url
from relief.cache import release

from . import services

#: the files every offline page needs, kept by the service worker when it installs
SHELL_FILES = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.min.js",
    "css/app.css",
    "js/offline.js",
    "js/visit-form.js",
    "favicon.svg",
)
#: the name of the browser cache of pages kept for one signed-in user (emptied at sign-in and sign-out)
PAGE_CACHE = "relief-pages"


def pages_to_keep(user, on: date) -> list[dict]:
    """The pages a cadre needs with no signal, kept right after signing in: the home, the queue,
    and for each paired household its visit form and its page."""
    pages = [{"url": url_for("main.home"), "title": _("首页")},
             {"url": url_for("visits.queue"), "title": _("待上传的走访")}]
    if services.is_recorder(user):
        for h in reports.my_households(user.cadre_id, on):
            pages.append({"url": url_for("visits.new", household_id=h.id), "title": _("记录走访 · %(name)s", name=h.name)})
            pages.append({"url": url_for("households.show", household_id=h.id), "title": h.name})
    return pages


def seconds(name: str) -> float:
    return float(current_app.config[name])


#: the configuration queue_settings reads
_SETTINGS = ("SYNC_TIMEOUT_SECONDS", "SYNC_TIMEOUT_PER_PHOTO_SECONDS", "SYNC_RETRY_SECONDS", "OFFLINE_KEEP_TIMEOUT_SECONDS")


def queue_settings() -> dict:
    """Time limits and waits for the page's queue, from relief/config.py (an office may change them)."""
    return {
        "send_timeout": seconds("SYNC_TIMEOUT_SECONDS"),
        "photo_timeout": seconds("SYNC_TIMEOUT_PER_PHOTO_SECONDS"),
        "retry": [float(s) for s in current_app.config["SYNC_RETRY_SECONDS"]],
        "keep_timeout": seconds("OFFLINE_KEEP_TIMEOUT_SECONDS"),
    }


@lru_cache(maxsize=8)
def _script(path: str, mtime_ns: int) -> str:
    return Path(path).read_text(encoding="utf-8")


def shell_version() -> str:
    """Changes with the release and with every shell file: pages kept under another are kept again."""
    kept = current_app.extensions.get("relief_shell_version")
    if kept is not None:
        return kept
    shell = json.dumps({name: static_url(name) for name in SHELL_FILES}, sort_keys=True)
    version = hashlib.sha256((release() + shell).encode()).hexdigest()[:12]
    if not files().recheck:  # a served release: its files stay as they are until the restart
        current_app.extensions["relief_shell_version"] = version
    return version


def service_worker_script() -> str:
    """static/js/sw.js behind a line naming this release's shell under its hashed URLs. Any change
    to a shell file, the templates, the code or the translations changes the script, so browsers
    install the new worker, which drops the old worker's caches."""
    path = Path(current_app.static_folder) / "js" / "sw.js"
    source = _script(str(path), path.stat().st_mtime_ns)
    settings = {
        "shell": {name: static_url(name) for name in SHELL_FILES},
        "offline": url_for("visits.offline"),
        "static": current_app.static_url_path + "/",
        "pages": PAGE_CACHE,
        "keep_timeout": seconds("OFFLINE_KEEP_TIMEOUT_SECONDS"),
        "page_wait": seconds("OFFLINE_PAGE_WAIT_SECONDS"),
    }
    body = json.dumps(settings, sort_keys=True, ensure_ascii=False)
    settings["version"] = hashlib.sha256((shell_version() + body + source).encode()).hexdigest()[:12]
    return f"var RELIEF = {json.dumps(settings, sort_keys=True, ensure_ascii=False)};\n{source}"


#: the words of offline.js per language, translated once (dozens of messages on every page)
_TEXTS: dict[str, dict[str, str]] = {}


def page_texts() -> dict[str, str]:
    locale = str(get_locale())
    if locale not in _TEXTS:
        _TEXTS[locale] = {
            "offline": _("没有信号：{n} 条走访保存在手机上，有信号时自动上传。"),
            "waiting": _("信号不好：{n} 条走访还没上传，{when}后再试。"),
            "sending": _("正在上传 {n} 条走访…"),
            "sent": _("已上传 {n} 条走访。"),
            "busy": _("另一个页面正在上传这些走访，请稍候。"),
            "login_wait": _("{n} 条走访保存在手机上，重新登录后自动上传。"),
            "seconds": _("{n} 秒"),
            "minutes": _("{n} 分钟"),
            "failed": _("被退回，没有保存：{label} {date} 的走访。"),
            "reason": _("原因：{reason}"),
            "conflict": _("服务器上已有这条走访，内容不同。"),
            "discard": _("删除这条"),
            "confirm_discard": _("删除后这条走访不会再上传，确定删除吗？"),
            "no_sw": _("这个浏览器（如 iPhone 上的微信、钉钉）不能在没有信号时打开页面：走访仍会保存在手机上，"
                       "有信号时自动上传，但页面本身需要信号才能打开。"),
            "state_pending": _("等待信号"),
            "state_sending": _("正在上传"),
            "state_sent": _("已上传"),
            "state_failed": _("被退回"),
            "tries": _("已试 {n} 次，最近一次 {time}"),
            "view": _("查看"),
            "empty": _("这台手机上没有待上传的走访。"),
            "logout_count": _("{n} 条走访还没有上传。"),
            "logout_confirm": _("退出后它们仍保存在这台手机上，您下次在这台手机上登录时会自动上传。确定退出吗？"),
            "file_saved": _("已保存 {n} 条走访到文件 {name}（在手机的“下载”里）。"),
            "file_nothing": _("没有需要保存的走访。"),
            "file_loaded": _("文件里有 {n} 条走访，已放入待上传。"),
            "file_bad": _("这个文件不是本系统保存的走访文件，请选择以 relief-走访 开头的文件。"),
            "file_other_user": _("这个文件是账号 {user} 保存的，请用那个账号登录后再上传。"),
            "persist_yes": _("这台手机已同意长期保存这些走访，不会因为空间不足而自动清除。"),
            "persist_no": _("这台手机可能在空间不足时清除还没上传的走访，请及时保存到文件。"),
        }
    return _TEXTS[locale]


_SHARED: dict[tuple, str] = {}


def _shared(root: str) -> str:
    """The JSON of what offline.js needs that is the same for every user, once per app, language
    and URL root (it is on every signed-in page; building and encoding it cost ~1 ms a page):
    where to send, the time limits, and its words."""
    cfg = current_app.config
    # the settings as configured, not encoded: encoding them for the key cost as much as the page's own part
    key = (id(current_app), str(get_locale()), root, shell_version(),
           *(repr(cfg.get(name)) for name in _SETTINGS))
    if key not in _SHARED:
        settings = queue_settings()
        config = {
            "api": url_for("api.create_visit"),
            "sw": url_for("visits.service_worker"),
            "pages": url_for("visits.offline_pages"),
            "page_cache": PAGE_CACHE,
            "release": shell_version(),
            "queue": url_for("visits.queue"),
            "logout": url_for("auth.logout"),
            **settings,
            "text": page_texts(),
        }
        _SHARED[key] = htmlsafe_json_dumps(config)
    return _SHARED[key]


def page_config_json(user) -> Markup:
    """What offline.js needs on every signed-in page, as the JSON of a <script type="application/json">
    (safe in HTML): who is signed in (the queue is per user), and the shared part above."""
    shared = _shared(request.script_root)
    own = htmlsafe_json_dumps({"user": user.id, "username": user.username})
    return Markup(own[:-1] + ", " + shared[1:])
