"""Where figures are kept: a bounded LRU per process, optionally backed by Redis (shared by every
app server of the release), and the app's caches (figure_cache)."""
from __future__ import annotations

import hashlib
import pickle
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from functools import lru_cache
from pathlib import Path

from flask import current_app

_clock = time.monotonic  # the age of entries (tests move it)
_MISSING = object()


@lru_cache(maxsize=1)
def release() -> str:
    """A short hash of what shapes a kept value: the code, the templates and the translations."""
    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("relief/**/*.py"), *root.glob("relief/translations/**/*.mo"), *root.glob("templates/**/*.html")]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class FigureCache:
    """A bounded LRU of (version, expiry, value) per key, in this process, optionally backed by Redis.

    With `spread`, each entry lives a random part of `seconds` (from half of it to all of it), so
    entries computed together (a province's townships, at the first read) expire apart, a few at a
    time, and never all in one request."""

    def __init__(self, entries: int, seconds: float, redis_url: str | None = None, release: str = "",
                 spread: bool = False, name: str = "figures"):
        self.entries, self.seconds, self.spread = entries, seconds, spread
        self._prefix = f"relief:{name}:{release}:"
        self._items: OrderedDict[Hashable, tuple] = OrderedDict()
        self._lock = threading.Lock()
        self._redis = None
        self._redis_back_at = 0.0  # after a Redis error, this process leaves Redis alone for a while
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: Hashable, version: tuple, shared: bool = True):
        """The value kept under `key` for this version, else _MISSING. `shared` False: this
        process's alone (a value renewed by nearly every write, not worth a round trip to Redis)."""
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[0] == version and _clock() <= item[1]:
                self._items.move_to_end(key)
                return item[2]
        if not shared:
            return _MISSING
        entry = self._shared_entry(key, version)
        if entry is _MISSING:
            return _MISSING
        self._put_local(key, version, entry[1])
        return entry[1]

    def latest(self, key: Hashable):
        """(version, value) last kept under `key`, whatever its version and age (this process's,
        else Redis's), else _MISSING: what a value kept under an older version may be brought
        up to date from (relief.cache.townships)."""
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                return item[0], item[2]
        return self._shared_entry(key)

    def put(self, key: Hashable, version: tuple, value, shared: bool = True) -> None:
        self._put_local(key, version, value)
        if shared:
            self._shared_put(key, version, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _put_local(self, key, version, value) -> None:
        with self._lock:
            lifetime = self.seconds * random.uniform(0.5, 1.0) if self.spread else self.seconds
            self._items[key] = (version, _clock() + lifetime, value)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def _redis_key(self, key) -> str:
        return self._prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    def _redis_usable(self) -> bool:
        return self._redis is not None and _clock() >= self._redis_back_at

    def _redis_failed(self) -> None:
        self._redis_back_at = _clock() + 30

    def _shared_entry(self, key, version=None):
        """(version, value) kept in Redis (under this version, if one is given), or _MISSING.
        Stored as the pickled version's length (4 bytes), the pickled version, the pickled value:
        a value kept under another version is not unpickled."""
        if not self._redis_usable():
            return _MISSING
        try:
            raw = self._redis.get(self._redis_key(key))
        except Exception:  # Redis is a helper: without it the figures are computed here
            self._redis_failed()
            return _MISSING
        if raw is None:
            return _MISSING
        try:  # written by our own processes, of this release
            size = int.from_bytes(raw[:4], "big")
            stored = pickle.loads(raw[4:4 + size])
            if version is not None and stored != version:
                return _MISSING
            return stored, pickle.loads(raw[4 + size:])
        except Exception:  # unreadable all the same: compute it again, and overwrite it
            return _MISSING

    def _shared_put(self, key, version, value) -> None:
        if not self._redis_usable():
            return
        try:
            head = pickle.dumps(version)
            self._redis.set(self._redis_key(key), len(head).to_bytes(4, "big") + head + pickle.dumps(value),
                            ex=max(int(self.seconds), 1))
        except Exception:
            self._redis_failed()

    def claim(self, key, seconds: float) -> bool:
        """Whether this process may do the work named `key` now: with Redis, at most one process
        in `seconds` gets True (SET NX EX); without it, every caller does (callers guard their own
        process)."""
        if not self._redis_usable():
            return True
        try:
            return bool(self._redis.set(self._redis_key(("claim", key)), b"1", nx=True, ex=max(int(seconds), 1)))
        except Exception:
            self._redis_failed()
            return True


def figure_cache() -> FigureCache:
    """This app's cache (one per app, so tests that empty the tables never see old entries)."""
    app = current_app._get_current_object()
    cache = app.extensions.get("relief_figures")
    if cache is None:
        redis_url = app.config.get("REDIS_URL")
        cache = app.extensions["relief_figures"] = FigureCache(
            app.config["CACHE_ENTRIES"], app.config["CACHE_SECONDS"], redis_url, release() if redis_url else "")
        # one entry per township and view: a province's thousands, apart from the pages' LRU
        cache.townships = FigureCache(app.config["TOWNSHIP_CACHE_ENTRIES"], app.config["CACHE_SECONDS"], redis_url,
                                      release() if redis_url else "", spread=True, name="townships")
        cache.versions = {}  # {scope: (sum of all counters, its counters)}, see data_version
        # values kept across writes while computing them is slow (kept_while_slow): a day at most
        cache.kept = FigureCache(app.config["CACHE_ENTRIES"], 86400, redis_url, release() if redis_url else "",
                                 name="kept")
    return cache

