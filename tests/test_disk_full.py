"""A full disk: the request answers 507 with what to do, nothing is half-written, the next one works."""
import base64
import io
import uuid

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from relief.extensions import db
from relief.models import Demand, Visit, VisitPhoto

from .conftest import csrf_token
from .visit_support import bearer, body, paired


def _counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Visit, VisitPhoto, Demand))


@pytest.fixture
def disk_full(app):
    """Make the database's disk full for the next writes; yields a function that frees it again.

    SQLite: the database may not grow past its present size (max_page_count, set on every
    connection). PostgreSQL: a trigger raises the error a full disk raises (SQLSTATE 53100,
    "could not extend file") when a visit photo is written.
    """
    engine = db.engine
    if engine.dialect.name == "sqlite":
        def cap(dbapi_conn, _record):
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count={pages + 2}")

        engine.dispose()
        # free pages left by earlier tests' rows would take the writes without growing the file
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")
        finally:
            raw.close()
        engine.dispose()
        sa.event.listen(engine, "connect", cap)

        def free():
            sa.event.remove(engine, "connect", cap)
            engine.dispose()
        yield free
        if sa.event.contains(engine, "connect", cap):
            free()
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file \"base/1/2\": No space left on device' "
                "USING ERRCODE = '53100'; END $$")
            conn.exec_driver_sql("CREATE TRIGGER disk_full BEFORE INSERT ON visit_photo "
                                 "FOR EACH ROW EXECUTE FUNCTION disk_full()")

        def free():
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS disk_full ON visit_photo")
                conn.exec_driver_sql("DROP FUNCTION IF EXISTS disk_full()")
        yield free
        free()


def _visit_with_photos(me):
    # photos of noise do not compress: a few of them need more pages than the disk has left
    noise = np.random.default_rng(7).integers(0, 255, (900, 1200, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "JPEG", quality=95)
    photo = base64.b64encode(out.getvalue()).decode()
    return body(me.household.id, demands=[{"text": "修路"}], photos=[photo, photo, photo])


def test_a_full_disk_answers_507_and_leaves_nothing_behind(client, f, disk_full):
    me = paired(f)
    headers = bearer(me.user)
    before = _counts()
    sent = _visit_with_photos(me)
    r = client.post("/api/v1/visits", json=sent, headers=headers)
    assert r.status_code == 507, r.get_data(as_text=True)
    assert "磁盘已满" in r.get_json()["detail"] and "没有保存" in r.get_json()["detail"]
    disk_full()
    assert _counts() == before
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # space freed: the phone sends the same visit again and it is stored, once
    assert client.post("/api/v1/visits", json=sent, headers=headers).status_code == 201
    assert _counts() == (before[0] + 1, before[1] + 3, before[2] + 1)


def test_a_full_disk_on_a_page_says_so_in_the_users_language(client, auth, f, disk_full):
    me = paired(f)
    auth.login("cad")
    page = f"/visits/new?household_id={me.household.id}"
    token = csrf_token(client, page)
    noise = io.BytesIO()
    Image.fromarray(np.random.default_rng(7).integers(0, 255, (900, 1200, 3), dtype=np.uint8)).save(noise, "JPEG")
    photo = noise.getvalue()
    data = {"csrf_token": token, "client_uuid": str(uuid.uuid4()), "visited_on": body()["visited_on"], "kind": "routine", "notes": "屋顶漏雨，已联系维修",
            "photos": [(io.BytesIO(photo), "a.jpg"), (io.BytesIO(photo), "b.jpg"), (io.BytesIO(photo), "c.jpg")]}
    r = client.post(page, data=data, content_type="multipart/form-data")
    assert r.status_code == 507
    html = r.get_data(as_text=True)
    assert "磁盘已满" in html and "系统出了点问题" not in html
    disk_full()
    assert _counts() == (0, 0, 0)


def test_a_really_full_disk_under_a_sqlite_database(tmp_path):
    """The embedded default on a real file system with no space left (a 6 MB tmpfs, when this
    machine lets the tests mount one): 507, the database intact, and it works once space is freed."""
    import os
    import subprocess

    from relief import create_app

    from .factories import Factories

    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not let the tests mount a small file system")
    try:
        app = create_app({"DATABASE_URL": f"sqlite:///{mount / 'relief.db'}", "SECRET_KEY": "x", "TESTING": True,
                          "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "RATELIMIT_STORAGE_URI": "memory://"})
        with app.app_context():
            db.create_all()
            me = paired(Factories())
            headers = bearer(me.user)
            filler = mount / "filler"
            with open(filler, "wb") as fh:
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                except OSError:
                    pass
            os.truncate(filler, filler.stat().st_size - 200_000)
            sent = _visit_with_photos(me)
            r = app.test_client().post("/api/v1/visits", json=sent, headers=headers)
            assert r.status_code == 507 and "磁盘已满" in r.get_json()["detail"]
            filler.unlink()
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert _counts() == (0, 0, 0)
            assert app.test_client().post("/api/v1/visits", json=sent, headers=headers).status_code == 201
            db.session.remove()
            db.engine.dispose()
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
