"""relief: the books of 结对帮扶 for a district's poverty-relief office."""
from __future__ import annotations

import gc

from flask import Flask

#: the cycle collector's thresholds in relief's processes (Python's are 700, 10, 10): a youngest
#: generation of 10,000 objects, so that a page building a province's figures (a few hundred
#: thousand rows, tuples and dicts, none of them in a cycle) does not run the full collection
#: a dozen times over everything alive (docs/performance.md: a whole-province dashboard 3.97 s
#: -> 3.40 s, the cadre table's merge 300 -> 200 ms)
GC_THRESHOLDS = (10_000, 10, 10)


class Relief(Flask):
    """Flask, asking once per function whether a view or hook is a coroutine: Flask asks anew for
    every hook of every request (a dozen `inspect.iscoroutinefunction` per request)."""

    def ensure_sync(self, func):
        known = self.__dict__.setdefault("_relief_sync", {})
        try:
            return known[func]
        except KeyError:
            known[func] = wrapped = super().ensure_sync(func)
            return wrapped
        except TypeError:  # not hashable
            return super().ensure_sync(func)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, commands."""
    gc.set_threshold(*GC_THRESHOLDS)
    app = Relief(__name__, instance_relative_config=True,
                 template_folder="../templates", static_folder="../static")
    from relief import config as settings

    settings.load(app, config)
    from relief.sessions import SessionInterface

    app.session_interface = SessionInterface()
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    # importing audit and cache installs their listeners (the audit trail, the data-version counters)
    from relief import assets, audit, cache, headers, i18n, inputs, models, templating  # noqa: F401
    from relief.database import configure_engine
    from relief.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(__import__("pathlib").Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    # without Redis the sign-in limits are counted in the database, so every worker shares them
    from relief import ratelimit  # noqa: F401  (registers the relief+db:// storage)

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "relief+db://")
    # Flask-Limiter keeps `enabled` on its one object: an app built with limits off would
    # otherwise switch them off for every app built after it in the same process
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    _limiter_hooks_where_limited(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    templating.init_app(app)
    headers.init_app(app)
    assets.init_app(app)
    inputs.init_app(app)
    login_manager.init_app(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _limiter_hooks_where_limited(app: Flask) -> None:
    """relief sets no application-wide or default limits: every limit is a decorator on its view
    (sign-in, tokens, self-reports), which checks itself. Flask-Limiter's hooks would look for
    limits on every request: its before_request hook is not run, and its after_request and
    teardown hooks (the X-RateLimit headers, deductions that depend on the answer) run only on a
    request that met a limit, the ones that left the limiter's context on the request."""
    from flask.globals import request_ctx

    from relief.extensions import limiter

    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return

    def _is_limiters(f) -> bool:
        return getattr(f, "__self__", None) is limiter or limiter in getattr(f, "args", ())

    def _only_where_limited(hook):
        def run(*args):
            if hasattr(request_ctx._get_current_object(), "_limiter_request_context"):
                return hook(*args)
            return args[0] if args else None
        return run

    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [f for f in hooks if not _is_limiters(f)]
    for funcs in (app.after_request_funcs, app.teardown_request_funcs):
        funcs[None] = [_only_where_limited(f) if _is_limiters(f) else f for f in funcs.get(None, [])]


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    from relief.fields import RowIdConverter

    # before any rule is added: every <int:...> in a URL is a database id (404 beyond 2^31 - 1)
    app.url_map.converters["int"] = RowIdConverter

    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"relief.{name}.views").bp)


#: feature packages, each with a views.bp blueprint (one per line: merges stay simple)
BLUEPRINTS = (
    "main",
    "auth",
    "households",
    "villages",
    "cadres",
    "users",
    "audit_log",
    "flags",
    "pairings",
    "callbacks",
    "records",
    "projects",
    "dashboard",
    "maps",
    "visits",
    "demands",
    "monitoring",
    "api",
    "imports",
    "exports",
)


def register_errorhandlers(app: Flask) -> None:
    from relief.errors import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from relief.cli import relief_cli

    app.cli.add_command(relief_cli)
