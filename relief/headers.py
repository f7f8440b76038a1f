"""Security headers on every response (OWASP ASVS level 2 as the yardstick).

A Content-Security-Policy without 'unsafe-eval' and without inline scripts: scripts come from
this server's files, or carry the per-request nonce (`csp_nonce()` in templates). Pages with
personal data are never stored by browsers or proxies.
"""
from __future__ import annotations

import secrets
from functools import lru_cache

from flask import Flask, current_app, g, request

from relief.geo import tiles


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _tile_origin() -> str:
    """The tile servers the map draws from (relief.geo.tiles): none with the default settings."""
    hosts = tiles.from_config(current_app.config).hosts
    return "".join(f" {host}" for host in hosts)


def content_security_policy(nonced: bool = True) -> str:
    """The policy, with the request's nonce (a page), or without (an answer that is no page: it
    runs no script at all, so none of its own needs one)."""
    tile_origin = _tile_origin()
    if not nonced:
        return _policy(tile_origin, "'self'")
    before, after = _policy_around_nonce(tile_origin)
    return f"{before}{csp_nonce()}{after}"


@lru_cache(maxsize=16)
def _policy_around_nonce(tile_origin: str) -> tuple[str, str]:
    """The policy's text before and after the request's nonce: written once, not per request."""
    before, after = _policy(tile_origin, "'self' 'nonce-\0'").split("\0")
    return before, after


@lru_cache(maxsize=16)
def _policy(tile_origin: str, script_src: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src {script_src}",
        # Leaflet and folium set element styles; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{tile_origin}",
        "connect-src 'self'",
        "font-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def vary_on(response, name: str) -> None:
    """Add `name` to the answer's Vary header: as plain text when it is the first (werkzeug's
    `response.vary` parses the header and writes it back on every change)."""
    if "Vary" in response.headers:
        response.vary.add(name)
    else:
        response.headers["Vary"] = name


#: the same on every answer; a view may have set its own (kept)
_FIXED = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"),
)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {key.lower() for key in headers.keys()}
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy",
                        content_security_policy(nonced=response.content_type.startswith("text/html")))
        for key, value in _FIXED:
            if key.lower() not in present:
                headers.add(key, value)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and not request.path.startswith("/static/"):
            # Pages and API answers may hold personal data: never kept by a browser or proxy cache.
            headers["Cache-Control"] = "no-store"
            if "pragma" not in present:
                headers.add("Pragma", "no-cache")
        return response
