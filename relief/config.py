"""Configuration: defaults, then instance/config.py, then RELIEF_* environment variables."""
from __future__ import annotations

import copy
import json
import os
import secrets
from pathlib import Path

from dotenv import load_dotenv


class Defaults:
    #: SQLAlchemy URL; a relative sqlite path is resolved against the project root
    DATABASE_URL = "sqlite:///instance/relief.db"
    #: session signing key; generated once into instance/secret_key when unset
    SECRET_KEY: str | None = None
    # The map's base layer (relief.geo.tiles): by default relief's own, drawn from its data with no
    # request off the server; a 天地图 key turns on 天地图; a template, any other tile server.
    #: a tile template https://…/{z}/{x}/{y}…, or "none": relief's own base map
    TILE_URL = "none"
    #: the credit shown on the map for TILE_URL's tiles (with their 审图号); 天地图's defaults to "天地图"
    TILE_ATTRIBUTION = ""
    #: "gcj02" when TILE_URL's tiles are drawn in GCJ-02 (points are shifted on the way out, not stored)
    TILE_CRS = "wgs84"
    TILE_SUBDOMAINS = "abc"  # what {s} in TILE_URL stands for
    #: a 天地图 key (console.tianditu.gov.cn): the map uses 天地图's vector tiles with Chinese labels
    TIANDITU_KEY: str | None = None
    #: the district whose outline the base map draws: a county code (321311) or name (宿迁市宿豫区);
    #: empty: the county holding most of the villages; "none": the villages' own hull
    DISTRICT = ""
    #: Redis for the limiter, cache and jobs; memory when unset
    REDIS_URL: str | None = None

    DEFAULT_LOCALE = "zh_Hans_CN"
    LOCALES = ("zh_Hans_CN", "en")
    TIMEZONE = "Asia/Shanghai"

    # Domain norms (DESIGN.md rules 1-6)
    MAX_HOUSEHOLDS_PER_CADRE = 2
    VISIT_DUE_DAYS = 30
    DEMAND_DEADLINE_DAYS = 30
    DEFAULT_TARGET_YUAN = 150_000
    ATTENDANCE_NORM_DAYS = 20
    VISIT_EDIT_DAYS = 7
    SPRING_FESTIVAL_WINDOW = ((12, 23), (1, 15))  # lunar (month, day) from 腊月廿三 to 正月十五
    MID_AUTUMN_WINDOW = ((8, 8), (8, 22))  # 八月初八 to 八月廿二

    # Fabrication flags (CONTRACT.md /api/v1/visits/flags)
    FLAG_LATE_DAYS = 7
    FLAG_FAR_KM = 5
    FLAG_BURST_COUNT = 5
    FLAG_BURST_MINUTES = 10
    FLAG_COPIED_MIN_CHARS = 15
    FLAG_COPIED_MIN_VISITS = 3
    # The dashboard's flag counts read every visit of the district: when that takes this long or
    # more, the counts are kept across writes and computed again, in the background, once this old
    FLAG_COUNTS_SLOW_SECONDS = 1.0
    FLAG_COUNTS_MAX_AGE = 300
    #: reused_photo: at most this many of a pHash's 64 bits differ (a re-saved, resized or cropped copy)
    PHOTO_REUSE_MAX_DISTANCE = 8
    #: photo_date_mismatch: a photo taken more than this many days before or after its visit's date
    PHOTO_DATE_MAX_DAYS = 3

    # Call-backs (回访): the share of actively paired households drawn per township each month
    # (rounded up, at least one), and how far back "did your cadre visit" reaches
    CALLBACK_SAMPLE_RATE = 0.10
    CALLBACK_LOOKBACK_MONTHS = 3
    # Quarterly work record (实绩档案): score = sum of weight x figure (rates 0-1; a rate that does
    # not apply counts as 1); a district leader's total = score x (1 - bundle + bundle x village progress)
    RECORD_WEIGHTS = {
        "households": 0,
        "visits": 2,
        "holiday_visits": 3,
        "demands_resolved": 5,
        "demands_overdue": -5,
        "projects": 5,
        "attendance": 20,
        "satisfaction": 20,
        "bundle": 0.5,
    }

    # 防返贫动态监测 (relief.monitoring): deadlines in working days of China's official calendar
    MONITOR_VERIFY_DAYS = 5  # 入户核实, from the day a lead is reported
    MONITOR_NOTICE_DAYS = 5  # 民主评议与公示, from the home check
    MONITOR_TOWNSHIP_REVIEW_DAYS = 5  # 乡镇审核
    MONITOR_DISTRICT_REVIEW_DAYS = 5  # 区审定
    MONITOR_INCOME_DROP_PERCENT = 30  # income_drop: down this much or more from the year before
    MONITOR_CLEAR_MONTHS = 6  # 风险消除 no sooner than this after inclusion
    # a self-report (no sign-in) per address; villages share addresses behind a carrier's NAT
    MONITOR_SELF_REPORT_LIMIT = "10 per hour;50 per day"
    # the inspector's list: a home check or notice recorded this soon after its step began
    MONITOR_FAST_MINUTES = 30
    # days of the official calendar that chinese-calendar does not know yet (ISO dates)
    MONITOR_EXTRA_HOLIDAYS: tuple = ()
    MONITOR_EXTRA_WORKDAYS: tuple = ()
    #: the address printed in QR codes for the public self-report page (e.g. https://relief.example.gov.cn);
    #: unset: the address the page was opened at
    PUBLIC_URL: str | None = None

    # Visit photos: refused above the byte limit, downscaled to the longest side, re-encoded as JPEG
    VISIT_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    VISIT_PHOTO_MAX_COUNT = 6
    VISIT_PHOTO_MAX_SIDE = 1600
    VISIT_PHOTO_QUALITY = 80
    # Every photo (relief.photos): a camera JPEG is decoded at a reduced scale, so it may have many
    # pixels; other formats are decoded whole, so few enough that one takes a fraction of a second
    PHOTO_MAX_PIXELS = 50_000_000
    PHOTO_MAX_PIXELS_FULL_DECODE = 8_400_000
    #: most demands one visit may raise
    VISIT_MAX_DEMANDS = 20

    # Sign-in and sessions
    LOGIN_LIMIT_PER_USER = "5 per minute;20 per hour"
    LOGIN_LIMIT_PER_ADDRESS = "20 per minute;200 per hour"
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    API_TOKEN_DAYS = 30
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    PROXY_FIX_HOPS = 0
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "relief_session"
    # The server-side session row decides when a sign-in ends (idle and absolute limits above), so
    # the cookie is not re-signed and re-sent on every response.
    SESSION_REFRESH_EACH_REQUEST = False
    PREFERRED_URL_SCHEME = "http"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    PER_PAGE = 30

    # Projects and the map (issue 4)
    PROJECT_PHOTO_MAX_BYTES = 8 * 1024 * 1024  # per uploaded photo, before downscaling
    PROJECT_PHOTO_MAX_SIDE = 1600  # px, the longer side after downscaling
    PROJECT_PHOTOS_PER_UPDATE = 6
    MAP_CENTER = (33.95, 118.33)  # (lat, lng) shown when no village has coordinates
    MAP_INCOME_YEARS = 3  # years of income shown in a map popup, ending with the chosen year
    MAP_CACHE_ENTRIES = 32  # rendered maps kept per process (scope x year x language)
    MAP_CACHE_SECONDS = 300  # a rendered map is rebuilt at least this often (cadre renames, new pairings)
    # Figures kept between requests (relief.cache): renewed on every write, and at least this often
    CACHE_ENTRIES = 512  # per process
    TOWNSHIP_CACHE_ENTRIES = 20_000  # per process: figures of one township for one view (relief.cache.cached_by_township)
    CACHE_SECONDS = 300

    # Roster imports (relief.imports): limits that keep a hostile file harmless
    IMPORT_MAX_BYTES = 10 * 1024 * 1024  # an uploaded file; larger is a 413
    IMPORT_MAX_ROWS = 100_000  # data rows in one file
    IMPORT_MAX_ZIP_ENTRIES = 1000  # files inside an .xlsx
    IMPORT_MAX_UNCOMPRESSED = 100 * 1024 * 1024  # bytes inside an .xlsx once inflated
    IMPORT_MAX_CELLS = 3_000_000  # cells in the sheet, and rows x columns of its extent
    IMPORT_PENDING_MINUTES = 60  # an uploaded file waits this long for its confirmation
    # Plausibility bounds of imported figures: past them a row is refused (元 typed into 万元 and the like)
    IMPORT_MAX_VILLAGE_INCOME_YUAN = 10_000_000  # a village's yearly collective income or target: 1,000 万元
    IMPORT_MAX_PER_CAPITA_YUAN = 1_000_000  # a household's yearly per-capita income: 100 万元
    IMPORT_MIN_PER_CAPITA_YUAN = 100  # and its floor (0 aside): below it, 万元 typed into the 元 column
    IMPORT_MAX_HOUSEHOLD_MEMBERS = 20  # people in one household

    # The visit queue in the browser (static/js/offline.js): every request it makes has a time
    # limit, after which it counts as "no signal" and is tried again after the next wait in
    # SYNC_RETRY_SECONDS (the last one repeats while the page is open)
    SYNC_TIMEOUT_SECONDS = 30  # sending one visit without photos
    SYNC_TIMEOUT_PER_PHOTO_SECONDS = 30  # added to that for each photo the visit carries
    SYNC_RETRY_SECONDS = (5, 15, 60, 120)
    OFFLINE_KEEP_TIMEOUT_SECONDS = 30  # fetching one page to keep on the phone for use without a signal
    OFFLINE_PAGE_WAIT_SECONDS = 8  # a page kept on the phone is shown when the network has not answered by then
    # Compression of every text answer (relief/assets.py, Flask-Compress): brotli where the browser
    # asks for it, otherwise gzip
    COMPRESS_ALGORITHM = ("br", "gzip")
    COMPRESS_ALGORITHM_STREAMING = ("br", "gzip")

    # Yearly exports as background jobs (relief.exports.jobs): needs REDIS_URL and `relief worker`
    EXPORT_JOBS = False
    EXPORT_FOLDER: str | None = None  # finished files; shared by app servers and workers (instance/exports)
    EXPORT_KEEP_HOURS = 24  # a finished file (and its job's status) is kept this long
    EXPORT_JOB_SECONDS = 6 * 3600  # a job running longer is stopped
    #: data rows a sheet may hold (Excel's 1,048,576 less the header); a whole export with more goes
    #: out as a zip of one workbook per township
    EXPORT_SHEET_ROWS = 1_048_575
    EXPORT_DATABASE_URL: str | None = None  # a read replica the export jobs read from (the primary when unset)


def _coerce(raw: str, like):
    """Parse an environment string into the type of the default it overrides."""
    if isinstance(like, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    if isinstance(like, dict):
        return json.loads(raw)
    if isinstance(like, tuple):
        return tuple(json.loads(raw)) if raw.startswith("[") else tuple(raw.split(","))
    return raw


def load(app, overrides: dict | None) -> None:
    """Fill app.config from the three layers, then the test or caller's overrides."""
    load_dotenv(Path(app.root_path).parent / ".env")
    for key in dir(Defaults):
        if key.isupper():
            app.config[key] = copy.deepcopy(getattr(Defaults, key))
    app.config.from_pyfile("config.py", silent=True)
    for key, raw in os.environ.items():
        if key.startswith("RELIEF_") and not key.startswith("RELIEF_TEST_"):
            name = key.removeprefix("RELIEF_")
            app.config[name] = _coerce(raw, app.config.get(name))
    app.config.update(overrides or {})

    root = Path(app.root_path).parent
    app.config["SQLALCHEMY_DATABASE_URI"] = _absolute_sqlite(app.config["DATABASE_URL"], root)
    # a server connection may have gone away in the pool (restart, idle timeout): test it on checkout;
    # a SQLite file cannot, and the test would cost a query on every request
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          {"pool_pre_ping": not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(app.root_path) / "translations")


def _absolute_sqlite(url: str, root: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        path = root / url.removeprefix(prefix)
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    return url


def _instance_secret(instance: Path) -> str:
    """Return the key kept in instance/secret_key, creating it (mode 600) on first use."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
