"""Uploaded files waiting between the preview and the confirmation, kept under instance/imports/.

The browser only ever holds the random token; the kind, the owner and the bytes stay here,
so a confirmation cannot change what was previewed or import somebody else's upload.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import current_app

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def save(data: bytes, *, user_id: int, kind: str, filename: str) -> str:
    """Keep an upload; return its token."""
    sweep()
    token = secrets.token_hex(16)
    folder = _folder()
    _write(folder / f"{token}.upload", data)
    meta = {"user_id": user_id, "kind": kind, "filename": filename[:200], "saved": time.time()}
    _write(folder / f"{token}.json", json.dumps(meta, ensure_ascii=False).encode())
    return token


def load(token: str, user_id: int) -> tuple[dict, bytes] | None:
    """The upload's facts and bytes, if the token is well-formed, fresh and the user's own."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    folder = _folder()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.upload").read_bytes()
    except (OSError, ValueError):
        return None
    too_old = time.time() - meta.get("saved", 0) > current_app.config["IMPORT_PENDING_MINUTES"] * 60
    if meta.get("user_id") != user_id or too_old:
        return None
    return meta, data


def discard(token: str) -> None:
    if isinstance(token, str) and _TOKEN.match(token):
        for suffix in (".upload", ".json"):
            (_folder() / f"{token}{suffix}").unlink(missing_ok=True)


def sweep() -> None:
    """Remove uploads nobody confirmed."""
    limit = time.time() - current_app.config["IMPORT_PENDING_MINUTES"] * 60
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue
