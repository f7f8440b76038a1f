"""Consistent copies of a database in use: SQLite's online backup, PostgreSQL's pg_dump."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from relief.extensions import db


class BackupError(RuntimeError):
    pass


def row_counts(engine_or_url) -> dict[str, int]:
    """Rows per table of the schema, to compare a copy with its source."""
    engine = sa.create_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables}


def backup(url: sa.URL, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(url.database, target)
    elif url.get_backend_name() == "postgresql":
        _pg_dump(url, target)
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")


def _sqlite_backup(path: str, target: Path) -> None:
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        # the online backup API copies a consistent snapshot while other processes keep writing
        src.backup(dst, pages=4096)
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"integrity check of the copy failed: {ok}")
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()
    os.replace(tmp, target)


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore: the newest installed server version's, else the one on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    found = str(versions[-1]) if versions else shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def libpq_url(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_dump(url: sa.URL, target: Path) -> None:
    tmp = target.with_suffix(target.suffix + ".part")
    done = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(tmp),
                           "--dbname", libpq_url(url)], capture_output=True, text=True)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(done.stderr.strip())
    os.replace(tmp, target)
