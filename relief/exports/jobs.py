"""Yearly exports as background jobs (RQ on Redis): a province's year takes minutes, not seconds.

With EXPORT_JOBS on and REDIS_URL set, the export page queues a job instead of writing the file
during the request; `flask --app wsgi relief worker` runs the jobs (as many workers as wanted, on
any machine that shares the database, Redis and EXPORT_FOLDER). A job reports its progress in
its RQ meta, which the job's page shows; the finished file waits in EXPORT_FOLDER for the user
who asked, EXPORT_KEEP_HOURS long. The export itself is services.export, as in a request; with
EXPORT_DATABASE_URL it reads from a read replica.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from relief.database import writing
from relief.extensions import db
from relief.models import Township, User

from . import services

QUEUE = "relief-exports"


def enabled() -> bool:
    cfg = current_app.config
    return bool(cfg["EXPORT_JOBS"] and cfg.get("REDIS_URL"))


def _redis():
    import redis

    return redis.Redis.from_url(current_app.config["REDIS_URL"])


def queue():
    from rq import Queue

    return Queue(QUEUE, connection=_redis(), default_timeout=current_app.config["EXPORT_JOB_SECONDS"])


def folder() -> Path:
    path = Path(current_app.config["EXPORT_FOLDER"] or Path(current_app.instance_path) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _running_key(user) -> str:
    return f"relief-export-running:{user.id}"


def running(user) -> str | None:
    """The id of the user's export that is queued or being written, if any."""
    job_id = _redis().get(_running_key(user))
    job_id = job_id.decode() if job_id else None
    if not job_id or job_id == "starting":
        return job_id
    found = status(job_id, user)
    return job_id if found is not None and found.state in ("queued", "started") else None


def submit(user, year: int, township: Township | None, *, full_ids: bool, sheet: str | None,
           download_name: str, split: bool = False) -> tuple[str, bool]:
    """Queue an export for `user` unless one of theirs is still queued or running: returns the job
    id and whether it is new (False: the running one, so a second tap never starts a second export)."""
    r, key = _redis(), _running_key(user)
    seconds = current_app.config["EXPORT_JOB_SECONDS"]
    for _attempt in range(20):
        # one submit at a time per user: whoever sets the key first queues the job
        if r.set(key, "starting", nx=True, ex=seconds):
            break
        current = running(user)
        if current and current != "starting":
            return current, False
        if current is None:  # the last export has finished or failed: the key is stale
            r.delete(key)
            continue
        time.sleep(0.1)  # another request of the same user is queueing it right now
    else:
        current = running(user)
        if current and current != "starting":
            return current, False
        r.set(key, "starting", ex=seconds)
    keep = current_app.config["EXPORT_KEEP_HOURS"] * 3600
    job = queue().enqueue(run, user.id, year, township.id if township else None, full_ids, sheet, split,
                          result_ttl=keep, failure_ttl=keep,
                          meta={"user_id": user.id, "download_name": download_name, "sheets": 1 if sheet else
                                len(services.SHEET_KEYS), "sheet_index": 0, "sheet": None, "rows": 0})
    r.set(key, job.id, ex=seconds)
    return job.id, True


@dataclass
class JobStatus:
    id: str
    #: queued, started, finished or failed (RQ's words; deferred and scheduled count as queued)
    state: str
    sheets: int
    sheet_index: int
    sheet: str | None
    rows: int
    download_name: str

    @property
    def percent(self) -> int:
        """Sheets finished, as a share of all (the row count of the sheet being written is shown beside)."""
        if self.state == "finished":
            return 100
        return int(100 * self.sheet_index / self.sheets) if self.sheets else 0


def status(job_id: str, user) -> JobStatus | None:
    """The job, if it exists and was asked for by `user`; else None (shown as 404)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=_redis())
    except (NoSuchJobError, ValueError):
        return None
    meta = job.meta
    if meta.get("user_id") != user.id:
        return None
    state = job.get_status(refresh=False)
    state = getattr(state, "value", state)
    if state not in ("started", "finished", "failed"):
        state = "queued"
    return JobStatus(job.id, state, meta.get("sheets", 1), meta.get("sheet_index", 0), meta.get("sheet"),
                     meta.get("rows", 0), meta.get("download_name", "export.xlsx"))


def file_of(job_id: str) -> Path | None:
    """The finished file of a job (the caller has checked who may have it)."""
    for suffix in (".xlsx", ".csv", ".zip"):
        path = folder() / f"{job_id}{suffix}"
        if path.exists():
            return path
    return None


def run(user_id: int, year: int, township_id: int | None, full_ids: bool, sheet: str | None,
        split: bool = False) -> dict:
    """The job: write the export into EXPORT_FOLDER as <job id>.xlsx (or .csv), then audit it.

    A whole export is a zip of one workbook per township (<job id>.zip) when asked (`split`) or
    when its rows would overflow a sheet (services.must_split)."""
    if has_app_context():
        return _run(user_id, year, township_id, full_ids, sheet, split)
    from relief import create_app

    with create_app().app_context():
        return _run(user_id, year, township_id, full_ids, sheet, split)


def _run(user_id, year, township_id, full_ids, sheet, split=False) -> dict:
    from rq import get_current_job

    job = get_current_job()
    name = job.id if job else f"export-{int(time.time())}"
    _forget_old_files()
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise PermissionError(f"user {user_id} may no longer export")
    township = db.session.get(Township, township_id) if township_id else None

    def progress(index: int, sheet_name: str, rows: int) -> None:
        if job is not None:
            job.meta.update(sheet_index=index, sheet=sheet_name, rows=rows)
            job.save_meta()

    part = folder() / f"{name}.part"
    try:
        with open(part, "wb") as fh, _reading_from_replica():
            split = sheet is None and township is None and (split or services.must_split(user, year, None))
            if split:
                if job is not None:  # the progress counts every township's sheets; the file is a zip
                    job.meta.update(sheets=len(services.townships_of(user)) * len(services.SHEET_KEYS),
                                    download_name=job.meta.get("download_name", "export.xlsx")
                                    .removesuffix(".xlsx") + ".zip")
                    job.save_meta()
                written = services.export_by_township(fh, user, year, full_ids=full_ids, progress=progress)
            else:
                written = services.export(fh, user, year, township, full_ids=full_ids, sheet=sheet,
                                          progress=progress)
        path = folder() / f"{name}{'.csv' if sheet else '.zip' if split else '.xlsx'}"
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    db.session.rollback()  # end the long read before taking the write lock for the audit event
    with writing():
        services.log_export(user, services.describe(year, township, full_ids, sheet, split))
        db.session.commit()
    if job is not None:
        job.meta.update(sheet_index=job.meta.get("sheets", 1), rows=sum(written.values()))
        job.save_meta()
    return {"file": path.name, "rows": written}


@contextmanager
def _reading_from_replica():
    """With EXPORT_DATABASE_URL (a PostgreSQL read replica), the export's queries go there, leaving
    the primary to the app servers; the user and the audit event stay on the primary."""
    url = current_app.config.get("EXPORT_DATABASE_URL")
    if not url:
        yield
        return
    engine = sa.create_engine(url, pool_pre_ping=True)
    replica = Session(bind=engine)
    primary = db.session.registry()
    db.session.registry.set(replica)
    try:
        yield
    finally:
        db.session.registry.set(primary)
        replica.close()
        engine.dispose()


def _forget_old_files() -> None:
    cutoff = time.time() - current_app.config["EXPORT_KEEP_HOURS"] * 3600
    for path in folder().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def work(burst: bool = False) -> None:
    """Run export jobs in this process until stopped (or, with burst, until the queue is empty)."""
    from rq import SimpleWorker

    SimpleWorker([queue()], connection=_redis()).work(burst=burst)
