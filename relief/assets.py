"""Static files under content-hashed names kept for a year, and compression of every text answer.

`url_for('static', filename='css/app.css')` gives `/static/css/app.<12 hex>.css`, the first 12
hex digits of the file's SHA-256: a changed file gets a new name, so that name can be kept by
browsers for a year untouched (`immutable`). The plain name still answers, revalidated on every
use (Leaflet's CSS names its images relatively), and so does a name with an older hash (a page
kept on a phone by the service worker before an upgrade): it gets today's file, revalidated.

Compression is Flask-Compress: brotli where the browser asks for it, otherwise gzip; static files
are compressed as they are streamed. Flask-Compress leaves every answer outside 2xx as it is; a
refused form (422) or an error page is a whole page too, so those are compressed as well.
The hashing is done here rather than with Flask-Static-Digest, whose build step writes digested
copies into static/ that would have to be committed or rebuilt on every install.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import flask_compress
from flask import Flask, current_app, request, send_from_directory, url_for

from relief.headers import vary_on

#: `name.<digest>.ext` as url_for writes it
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"
#: text answers the app sends besides Flask-Compress's defaults: the export's CSV sheets
EXTRA_MIMETYPES = ("text/csv",)


class StaticFiles:
    """The digests of the files in the static folder, recomputed when a file changes.

    `recheck`: look at each file again on every use (development and tests, where files change
    under a running app). A served release does not change its files without a restart, so there
    a digest, once computed, is used as it is: no stat() per `url_for` (a page calls it a dozen times).
    """

    def __init__(self, folder: str | os.PathLike, recheck: bool = True):
        self.folder = Path(folder)
        self.recheck = recheck
        self._known: dict[str, tuple[int, int, str]] = {}
        self._names: dict[str, str] = {}

    def digest(self, filename: str) -> str | None:
        if not self.recheck and filename in self._known:
            return self._known[filename][2]
        path = self.folder / filename
        try:
            st = path.stat()
        except (OSError, ValueError):
            return None
        known = self._known.get(filename)
        if known and known[:2] == (st.st_mtime_ns, st.st_size):
            return known[2]
        if not path.is_file() or not path.resolve().is_relative_to(self.folder.resolve()):
            return None
        value = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self._known[filename] = (st.st_mtime_ns, st.st_size, value)
        return value

    def hashed_name(self, filename: str) -> str:
        """`css/app.css` → `css/app.<digest>.css`; a file that does not exist keeps its name."""
        if not self.recheck and filename in self._names:
            return self._names[filename]
        name = self._hashed_name(filename)
        if not self.recheck and filename in self._known:
            self._names[filename] = name
        return name

    def _hashed_name(self, filename: str) -> str:
        value = self.digest(filename)
        if value is None:
            return filename
        stem, dot, ext = filename.rpartition(".")
        if not dot or not stem or "/" in ext:
            return filename  # no extension: nothing to put the digest before
        return f"{stem}.{value}.{ext}"

    def resolve(self, requested: str) -> tuple[str, bool]:
        """The file to send for a requested name, and whether the answer may be kept for good."""
        if (self.folder / requested).is_file():
            return requested, False
        match = HASHED.match(requested)
        if match:
            filename = match["stem"] + match["ext"]
            current = self.digest(filename)
            if current is not None:
                return filename, current == match["digest"]
        return requested, False


def files() -> StaticFiles:
    return current_app.extensions["relief_static"]


def static_url(filename: str) -> str:
    """The path of a static file under its hashed name (for lists the service worker keeps)."""
    return f"{current_app.static_url_path}/{files().hashed_name(filename)}"


def fixed_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` for a URL that is the same on every request behind the same
    script root (a static file, the home page, the sign-out form's action): found once per app
    and root, not on every page (base.html has ten; each costs a URL map build). Static names are
    found each time while their files may change under the app (debug, tests)."""
    key = (endpoint, request.script_root, *sorted(values.items()))
    known = current_app.extensions["relief_fixed_urls"]
    url = known.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if endpoint != "static" or not files().recheck:
            known[key] = url
    return url


def _serve_static(filename: str):
    name, immutable = files().resolve(filename)
    response = send_from_directory(current_app.static_folder, name)
    response.headers["Cache-Control"] = IMMUTABLE if immutable else "no-cache"
    return response


class Compress(flask_compress.Compress):
    """Flask-Compress, also for answers outside 2xx that carry a page or a JSON body."""

    def after_request(self, response):
        if "HTTP_ACCEPT_ENCODING" not in request.environ:  # nothing to choose from: only say it could vary
            vary_on(response, "Accept-Encoding")
            return response
        status = response.status_code
        if 400 <= status < 600:
            response.status_code = 200
            try:
                response = super().after_request(response)
            finally:
                response.status_code = status
            return response
        return super().after_request(response)


def init_app(app: Flask) -> None:
    app.extensions["relief_static"] = StaticFiles(app.static_folder, recheck=app.debug or app.testing)
    app.extensions["relief_fixed_urls"] = {}
    app.jinja_env.globals["fixed_url"] = fixed_url

    @app.url_defaults
    def hashed_static_names(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = app.extensions["relief_static"].hashed_name(values["filename"])

    app.view_functions["static"] = _serve_static
    compress = Compress(app)
    compress.compress_mimetypes_set.update(EXTRA_MIMETYPES)
    app.extensions["relief_compress"] = compress
