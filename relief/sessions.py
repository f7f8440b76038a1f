"""The session cookie: signed, HttpOnly, SameSite=Lax, and Secure whenever served over https."""
import time

from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from relief.headers import vary_on

#: cookies whose signature was checked, kept per process (a phone sends the same cookie all day)
VERIFIED_COOKIES = 4096


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, with the signer built once per key (Flask builds it on every
    request) and each cookie's signature checked once: a cookie seen before, byte for byte, is
    read from what its first check found, its age still checked against the session lifetime.
    The cookie holds only the server-side session's id (relief.auth.services decides whether it
    is still live) and the CSRF secret."""

    def __init__(self):
        self._signer_for = None
        self._signer = None
        self._verified: dict[str, tuple[dict, float]] = {}

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._signer_for:
            self._signer = super().get_signing_serializer(app)
            self._signer_for = keys
            self._verified = {}
        return self._signer

    def open_session(self, app, request):
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        if "HTTP_COOKIE" not in request.environ:  # an API call, a probe: no cookie to parse
            return self.session_class()
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._verified.get(value)
        if known is not None:
            data, signed_at = known
            if time.time() - signed_at <= max_age:
                return self.session_class(data)
            self._verified.pop(value, None)
        try:
            data, signed_at = signer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        # only plain values are kept: a list (the flashed messages) is changed in place by its session
        if all(isinstance(v, (str, int, float, bool, type(None))) for v in data.values()):
            if len(self._verified) >= VERIFIED_COOKIES:
                self._verified.clear()
            self._verified[value] = (dict(data), signed_at.timestamp())
        return self.session_class(data)

    def save_session(self, app, session, response) -> None:
        # nothing to write or to remove (an API call, a health probe): Flask would first look up
        # the cookie's seven settings
        if not session and not session.modified:
            if session.accessed:
                vary_on(response, "Cookie")
            return None
        return super().save_session(app, session, response)
