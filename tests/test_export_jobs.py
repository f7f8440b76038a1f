"""Yearly exports as background jobs: the job itself, and the whole path through Redis and a worker.

The path through Redis needs `redis-server` (apt-get install redis-server); a private one is
started on a free port for these tests. Without it they are skipped, unless RELIEF_REQUIRE_REDIS=1
(CI), which makes a missing redis-server a failure.
"""
import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from relief import spreadsheets as writer
from relief.exports import jobs, services
from relief.extensions import db
from relief.models import AuditEvent, User

from .conftest import csrf_token
from .sheets import table


def _user(name):
    return db.session.scalar(sa.select(User).where(User.username == name))


def test_the_job_writes_the_workbook_reports_progress_and_audits(app, exported_year, tmp_path, monkeypatch):
    app.config["EXPORT_FOLDER"] = str(tmp_path / "exports")
    reported = []
    real = writer.write_xlsx
    monkeypatch.setattr(writer, "PROGRESS_EVERY", 1)
    monkeypatch.setattr("relief.exports.services.write_xlsx",
                        lambda *a, progress=None, **kw: real(*a, progress=lambda *p: (reported.append(p), progress(*p)),
                                                             **kw))
    done = jobs.run(_user("admin").id, 2025, None, False, None)
    book = openpyxl.load_workbook(tmp_path / "exports" / done["file"])
    assert dict(table(book["汇总"])[1:])["结对帮扶户数"] == 3
    assert done["rows"]["结对帮扶户"] == 3
    assert ("结对帮扶户" in {name for _i, name, _n in reported}) and max(n for *_x, n in reported) >= 1
    assert db.session.scalar(sa.select(AuditEvent.note).where(AuditEvent.action == "export")) == "2025 全区 xlsx"


def test_a_leaders_job_keeps_to_their_township_and_a_sheet_can_be_csv(app, exported_year, tmp_path):
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    done = jobs.run(_user("leader2").id, 2025, exported_year["t2"].id, False, "households")
    text = (tmp_path / done["file"]).read_text(encoding="utf-8-sig")
    assert done["file"].endswith(".csv") and done["rows"] == {"结对帮扶户": 1} and "西镇" in text and "东镇" not in text


def test_a_deactivated_user_gets_no_file(app, exported_year, tmp_path):
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    admin = _user("admin")
    admin.active = False
    db.session.commit()
    with pytest.raises(PermissionError):
        jobs.run(admin.id, 2025, None, False, None)
    assert list(tmp_path.iterdir()) == []


def test_without_jobs_the_page_downloads_directly(exported_year, client, auth):
    auth.login("admin")
    html = client.get("/exports/").get_data(as_text=True)
    assert 'action="/exports/download"' in html
    assert client.post("/exports/jobs", data={"csrf_token": csrf_token(client, "/exports/")}).status_code == 404


# -- through Redis and a worker ----------------------------------------------------------------


@pytest.fixture
def queued(app, redis_url, tmp_path):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    app.config.update(EXPORT_JOBS=True, REDIS_URL=redis_url, EXPORT_FOLDER=str(tmp_path / "exports"))
    return app


def _submit(client, **fields):
    data = {"csrf_token": csrf_token(client, "/exports/"), "year": "2025", "format": "xlsx", **fields}
    response = client.post("/exports/jobs", data=data)
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def test_a_queued_export_shows_its_progress_and_is_downloaded_when_done(queued, exported_year, client, auth):
    auth.login("admin")
    assert 'action="/exports/jobs"' in client.get("/exports/").get_data(as_text=True)
    page = _submit(client)
    assert "排队等待中" in client.get(page).get_data(as_text=True)
    assert client.get(page + ".json").json["state"] == "queued"
    db.session.commit()
    jobs.work(burst=True)  # what `flask relief worker` does, until the queue is empty
    state = client.get(page + ".json").json
    assert state["state"] == "finished" and state["percent"] == 100 and state["file"] == page + "/file"
    assert "导出完成" in client.get(page).get_data(as_text=True)
    response = client.get(state["file"])
    assert "attachment" in response.headers["Content-Disposition"] and "2025" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert dict(table(book["汇总"])[1:])["结对帮扶户数"] == 3
    assert db.session.scalar(sa.select(AuditEvent.username).where(AuditEvent.action == "export")) == "admin"


def test_a_job_is_only_its_owners(queued, exported_year, client, auth):
    auth.login("leader")
    page = _submit(client)
    jobs.work(burst=True)
    assert client.get(page).status_code == 200
    auth.logout()
    auth.login("leader2")
    assert client.get(page).status_code == 404
    assert client.get(page + "/file").status_code == 404
    assert client.get("/exports/jobs/" + "0" * 32).status_code == 404


def test_a_leader_may_not_queue_another_township_or_full_numbers(queued, exported_year, client, auth):
    auth.login("leader")
    token = csrf_token(client, "/exports/")
    assert client.post("/exports/jobs", data={"csrf_token": token, "year": "2025",
                                              "township": str(exported_year["t2"].id)}).status_code == 404
    assert client.post("/exports/jobs", data={"csrf_token": token, "year": "2025", "full_ids": "1"}).status_code == 403
    assert client.post("/exports/jobs", data={"csrf_token": token, "year": "1800"}).status_code == 400
    assert client.post("/exports/jobs", data={"year": "2025"}).status_code == 400  # no CSRF token


def test_with_a_read_replica_the_job_reads_there_and_audits_on_the_primary(app, exported_year, tmp_path):
    import sqlite3

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        pytest.skip("the replica here is a copy of the SQLite file")
    db.session.commit()
    replica = tmp_path / "replica.db"
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(replica) as copy:
        source.backup(copy)
    with sqlite3.connect(replica) as copy:  # the replica is "ahead": a name only it has
        copy.execute("UPDATE household SET head_name = '副本户主' WHERE id = ?", (exported_year["h3"].id,))
    app.config.update(EXPORT_FOLDER=str(tmp_path / "out"), EXPORT_DATABASE_URL=f"sqlite:///{replica}")
    done = jobs.run(_user("admin").id, 2025, None, False, "households")
    assert "副本户主" in (tmp_path / "out" / done["file"]).read_text(encoding="utf-8-sig")
    note = db.session.scalar(sa.select(AuditEvent.note).where(AuditEvent.action == "export"))
    assert note == "2025 全区 csv households"


def test_a_second_export_while_one_runs_answers_with_the_running_one(queued, exported_year, client, auth):
    auth.login("admin")
    first = _submit(client)
    again = client.post("/exports/jobs", data={"csrf_token": csrf_token(client, "/exports/"), "year": "2024",
                                                "format": "xlsx"}, follow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"] == first  # not a second job
    assert "上一个导出还在进行" in client.get(first).get_data(as_text=True)
    from rq import Queue
    import redis

    assert Queue(jobs.QUEUE, connection=redis.Redis.from_url(queued.config["REDIS_URL"])).count == 1
    assert f'href="{first}"' in client.get("/exports/").get_data(as_text=True)  # the page points to it
    jobs.work(burst=True)
    third = _submit(client)  # once it has finished, a new export starts
    assert third != first


def test_a_direct_download_answers_with_the_page_token(exported_year, client, auth):
    auth.login("admin")
    html = client.get("/exports/").get_data(as_text=True)
    assert 'name="token"' in html and re.search(r"js/export-job\.[0-9a-f]{12}\.js", html) and 'id="export-status"' in html
    response = client.get("/exports/download?year=2025&format=xlsx&token=abc123")
    assert "relief-export=abc123" in response.headers["Set-Cookie"]
    assert "Path=/exports" in response.headers["Set-Cookie"]
    response = client.get("/exports/download?year=2025&format=xlsx&token=<script>")
    assert "Set-Cookie" not in response.headers or "relief-export" not in response.headers["Set-Cookie"]


# -- a province's year: one workbook per township, zipped --------------------------------------

def _workbooks(data) -> dict[str, openpyxl.Workbook]:
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as bundle:
        return {name: openpyxl.load_workbook(io.BytesIO(bundle.read(name))) for name in bundle.namelist()}


def test_rows_beyond_a_sheet_go_out_as_a_zip_of_township_workbooks(app, exported_year, tmp_path, monkeypatch):
    """2025 has 6 visits (东镇 5, 西镇 1): with a sheet of 5 rows the whole export is split by township."""
    app.config.update(EXPORT_FOLDER=str(tmp_path), EXPORT_SHEET_ROWS=5)
    monkeypatch.setattr(writer, "PROGRESS_EVERY", 1)
    done = jobs.run(_user("admin").id, 2025, None, False, None)
    assert done["file"].endswith(".zip") and done["rows"]["走访记录"] == 6 and done["rows"]["结对帮扶户"] == 3
    books = _workbooks(tmp_path / done["file"])
    assert sorted(books) == ["结对帮扶成效_2025_东镇.xlsx", "结对帮扶成效_2025_西镇.xlsx"]
    east, west = books["结对帮扶成效_2025_东镇.xlsx"], books["结对帮扶成效_2025_西镇.xlsx"]
    assert east.sheetnames[:6] == ["汇总", "村集体经济", "结对帮扶户", "帮扶干部", "帮扶项目", "走访记录"]
    assert len(table(east["走访记录"])) == 1 + 5 and len(table(west["走访记录"])) == 1 + 1
    assert dict(table(east["汇总"])[1:])["结对帮扶户数"] == 2 and dict(table(west["汇总"])[1:])["结对帮扶户数"] == 1
    east_cells = {c for row in east.worksheets for r in table(row) for c in r if isinstance(c, str)}
    assert "东镇" in east_cells and "西镇" not in east_cells
    phones = [r[4] for r in table(east["结对帮扶户"])[1:] if r[4]]
    assert phones and all("****" in p for p in phones)  # still masked
    assert all(c.data_type != "f" for ws in east.worksheets for row in ws.iter_rows() for c in row)
    note = db.session.scalar(sa.select(AuditEvent.note).where(AuditEvent.action == "export"))
    assert note == "2025 全区 zip of xlsx by township"


def test_rows_within_a_sheet_stay_one_workbook(app, exported_year, tmp_path):
    app.config.update(EXPORT_FOLDER=str(tmp_path), EXPORT_SHEET_ROWS=6)
    done = jobs.run(_user("admin").id, 2025, None, False, None)
    assert done["file"].endswith(".xlsx")
    assert len(table(openpyxl.load_workbook(tmp_path / done["file"])["走访记录"])) == 1 + 6


def test_a_township_beyond_a_sheet_is_refused_with_a_message(app, exported_year, tmp_path):
    app.config.update(EXPORT_FOLDER=str(tmp_path), EXPORT_SHEET_ROWS=4)
    with pytest.raises(services.ExportError, match="东镇"):
        jobs.run(_user("admin").id, 2025, None, False, None)
    assert list(tmp_path.iterdir()) == []


def test_the_admin_may_ask_for_the_split_and_download_it_directly(exported_year, client, auth):
    auth.login("admin")
    assert 'name="split"' in client.get("/exports/").get_data(as_text=True)
    response = client.get("/exports/download?year=2025&format=xlsx&split=1")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert ".zip" in response.headers["Content-Disposition"]
    assert len(_workbooks(response.data)) == 2


def test_a_queued_split_export_shows_each_townships_progress(queued, exported_year, client, auth):
    auth.login("admin")
    page = _submit(client, split="1")
    db.session.commit()
    jobs.work(burst=True)
    state = client.get(page + ".json").json
    assert state["state"] == "finished" and state["sheets"] == 2 * len(services.SHEET_KEYS)
    assert "东镇" in state["sheet"] or "西镇" in state["sheet"]
    response = client.get(state["file"])
    assert response.mimetype == "application/zip" and ".zip" in response.headers["Content-Disposition"]
    assert sorted(_workbooks(response.data)) == ["结对帮扶成效_2025_东镇.xlsx", "结对帮扶成效_2025_西镇.xlsx"]


def test_the_command_line_writes_the_zip_and_says_when_a_workbook_cannot_hold_the_year(app, exported_year, runner,
                                                                                     tmp_path):
    db.session.commit()
    out = tmp_path / "year.zip"
    result = runner.invoke(args=["relief", "export", "--year", "2025", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(_workbooks(out)) == ["结对帮扶成效_2025_东镇.xlsx", "结对帮扶成效_2025_西镇.xlsx"]
    app.config["EXPORT_SHEET_ROWS"] = 5
    result = runner.invoke(args=["relief", "export", "--year", "2025", "-o", str(tmp_path / "year.xlsx")])
    assert result.exit_code == 1 and "FILE.zip" in result.output and not (tmp_path / "year.xlsx").exists()
