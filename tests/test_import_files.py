"""Hostile and broken files, and all-or-nothing when a write fails or the process dies midway."""
import io
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.imports import base
from relief.models import AuditEvent, Household, HouseholdIncome, Township, Village

from .sheets import HOUSEHOLDS, VILLAGES, count, csv_bytes, household_row, xlsx

ROOT = Path(__file__).resolve().parent.parent


def rezip(data: bytes, change=None, extra: dict | None = None) -> bytes:
    """Copy an .xlsx entry by entry, changing entries with change(name, bytes) and adding `extra`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, change(info.filename, body) if change else body)
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def good_file() -> bytes:
    return xlsx([VILLAGES, ["东镇", "甲村", "是", None, None, None]])


def test_a_zip_bomb_is_refused_before_it_is_opened(run, tmp_path):
    """250 MB of zeros inflating from a few hundred KB, beyond the default 100 MB limit."""
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(good_file()))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/media/image1.png", "w") as fh:
            block = b"\0" * (1 << 20)
            for _ in range(250):
                fh.write(block)
    bomb = out.getvalue()
    assert len(bomb) < 2 * 1024 * 1024
    result = run("villages", bomb)
    assert result.exit_code == 2
    assert "文件解压后过大或结构异常，已拒绝" in result.stderr
    assert count(Township) == 0


def test_a_bomb_that_lies_about_its_size_is_caught_while_inflating(run, app):
    app.config["IMPORT_MAX_UNCOMPRESSED"] = 1024 * 1024
    bomb = bytearray(rezip(good_file(), extra={"xl/media/a.bin": b"\0" * (3 * 1024 * 1024)}))
    info = zipfile.ZipFile(io.BytesIO(bytes(bomb))).getinfo("xl/media/a.bin")
    # claim 100 bytes in both the local header and the central directory
    struct.pack_into("<I", bomb, info.header_offset + 22, 100)
    pos = bytes(bomb).find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", bomb, pos + 28)[0]
        if bomb[pos + 46:pos + 46 + name_len] == b"xl/media/a.bin":
            struct.pack_into("<I", bomb, pos + 24, 100)
        pos = bytes(bomb).find(b"PK\x01\x02", pos + 4)
    assert zipfile.ZipFile(io.BytesIO(bytes(bomb))).getinfo("xl/media/a.bin").file_size == 100
    result = run("villages", bytes(bomb))
    assert result.exit_code == 2 and "error: " in result.stderr
    assert count(Township) == 0


def test_too_many_entries_are_refused(run):
    data = rezip(good_file(), extra={f"xl/media/{i}.bin": b"" for i in range(1500)})
    result = run("villages", data)
    assert result.exit_code == 2 and "文件解压后过大或结构异常" in result.stderr


def test_a_sheet_reaching_the_last_cell_is_refused(run):
    """Two far-apart cells would make calamine allocate the whole rectangle."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for c, h in enumerate(VILLAGES):
        sheet.write_string(0, c, h)
    sheet.write_string(1048575, 16383, "x")
    book.close()
    result = run("villages", out.getvalue())
    assert result.exit_code == 2 and "工作表的范围过大" in result.stderr


def test_too_many_cells_without_references_are_refused(run, app):
    """Cells may leave out r="A1"; they are counted all the same."""
    app.config["IMPORT_MAX_CELLS"] = 1000

    def many(name, body):
        if name == "xl/worksheets/sheet1.xml":
            cells = b"<c t=\"inlineStr\"><is><t>x</t></is></c>" * 30
            rows = b"".join(b"<row>" + cells + b"</row>" for _ in range(50))
            return body.replace(b"</sheetData>", rows + b"</sheetData>")
        return body
    result = run("villages", rezip(good_file(), many))
    assert result.exit_code == 2 and "文件解压后过大或结构异常" in result.stderr


def test_an_xml_doctype_is_refused(run):
    def inject(name, body):
        if name == "xl/workbook.xml":
            return body.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', 1)
        return body
    result = run("villages", rezip(good_file(), inject))
    assert result.exit_code == 2 and "DOCTYPE" in result.stderr


@pytest.mark.parametrize("name,data,message", [
    ("名单.xlsx", "<html><body><table><tr><td>乡镇</td></tr></table></body></html>".encode(), "实际是网页（HTML）"),
    ("名单.xlsx", "\ufeff<!DOCTYPE html><html>".encode(), "实际是网页（HTML）"),
    ("名单.xls", "<html><body><table><tr><td>乡镇</td></tr></table></body></html>".encode("gbk"), "实际是网页（HTML）"),
    ("名单.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "文件已损坏"),
    ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "文件已损坏"),
    ("名单.ods", b"PK\x03\x04 broken", "文件已损坏"),
    ("名单.xlsx", b"", "文件是空的"),
    ("名单.xlsx", b"PK\x03\x04 broken", "文件已损坏"),
    ("名单.xlsx", rezip(xlsx([VILLAGES]), lambda n, b: b, {"word/document.xml": b"<w/>"}).replace(
        b"xl/workbook.xml", b"xl/workbook.xm_"), "不是 Excel 工作簿"),
])
def test_files_that_are_not_what_their_name_says_are_refused(run, name, data, message):
    result = run("villages", data, name)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr


@pytest.mark.parametrize("name,data", [
    ("名单.xlsx", "乡镇,村,经济薄弱村\n东镇,甲村,是\n".encode()),
    ("名单.csv", xlsx([VILLAGES, ["东镇", "甲村", "是"]])),
    ("名单.xls", xlsx([VILLAGES, ["东镇", "甲村", "是"]])),
    ("名单.xlsm", xlsx([VILLAGES, ["东镇", "甲村", "是"]])),
    ("名单.xls", "乡镇\t村\t经济薄弱村\n东镇\t甲村\t是\n".encode("gbk")),
])
def test_a_file_is_read_by_what_it_is_not_by_its_name(run, name, data):
    """WPS and other systems save one format under another's name; the bytes say what it is."""
    result = run("villages", data, name)
    assert result.exit_code == 0, result.output
    assert db.session.execute(sa.select(Village.name, Village.is_weak)).all() == [("甲村", True)]


def test_a_gb18030_csv_from_chinese_excel_is_read(run):
    result = run("villages", csv_bytes([VILLAGES, ["东镇", "甲村", "是"]], "gb18030"), "名单.csv")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Village.name)) == "甲村"


# --- all or nothing ---------------------------------------------------------------------------

def _fail_after(monkeypatch, statements: int):
    real = base._write
    calls = []

    def failing(stmt, chunk):
        calls.append(len(chunk))
        if len(calls) > statements:
            raise RuntimeError("disk on fire")
        return real(stmt, chunk)
    monkeypatch.setattr(base, "_write", failing)
    monkeypatch.setattr(base, "CHUNK", 5)
    return calls


def test_a_failure_midway_stores_nothing(run, places, monkeypatch):
    calls = _fail_after(monkeypatch, 4)
    result = run("households", xlsx([HOUSEHOLDS] + [household_row(n) for n in range(1, 31)]))
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert sum(calls[:4]) == 20  # twenty households had been inserted when it failed
    assert (count(Household), count(HouseholdIncome)) == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "import")) == 0


def test_a_failure_after_new_townships_removes_them_too(run, monkeypatch):
    _fail_after(monkeypatch, 1)
    rows = [VILLAGES] + [[f"{t}镇", f"村{n}", "否"] for t in "东西" for n in range(6)]
    result = run("villages", xlsx(rows))
    assert result.exit_code != 0
    assert (count(Township), count(Village)) == (0, 0)


DYING = """
import os, sys
from pathlib import Path
from relief import create_app
from relief.database import writing
from relief.extensions import db
from relief.imports import base
from relief.imports.services import run_import

url, path = sys.argv[1], sys.argv[2]
app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
real, calls = base._write, []
def dying(stmt, chunk):
    calls.append(1)
    if len(calls) == 3:
        os._exit(9)  # the process dies: no rollback, no cleanup
    return real(stmt, chunk)
base._write, base.CHUNK = dying, 5
with app.app_context(), writing():
    run_import("households", Path(path).read_bytes(), "a.xlsx")
    db.session.commit()
"""


def test_a_process_killed_midway_stores_nothing(app, places, tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx([HOUSEHOLDS] + [household_row(n) for n in range(1, 31)]))
    db.session.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    proc = subprocess.run([sys.executable, "-c", DYING, app.config["SQLALCHEMY_DATABASE_URI"], str(path)],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr.decode()
    db.session.commit()
    assert (count(Household), count(HouseholdIncome)) == (0, 0)


def test_the_first_visible_sheet_is_read(run):
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    hidden = book.add_worksheet("旧数据")
    hidden.write_row(0, 0, VILLAGES)
    hidden.write_row(1, 0, ["东镇", "旧村", "否"])
    hidden.hide()
    shown = book.add_worksheet("名单")
    shown.write_row(0, 0, VILLAGES)
    shown.write_row(1, 0, ["东镇", "新村", "否"])
    shown.activate()
    book.close()
    assert run("villages", out.getvalue()).exit_code == 0
    assert db.session.scalars(sa.select(Village.name)).all() == ["新村"]


# --- .xls and .ods get the same guards -------------------------------------------------------------

def _xls(cells: dict) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    for (r, c), value in cells.items():
        sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xls_reaching_its_last_cell_is_refused_before_calamine_allocates_it(run):
    """calamine would allocate 65,536 x 256 cells (1 GB) for these two."""
    data = _xls({**{(0, c): h for c, h in enumerate(VILLAGES)}, (65535, 255): "x"})
    result = run("villages", data, "名单.xls")
    assert result.exit_code == 2 and "工作表的范围过大（内容一直到第65536行、第256列）" in result.stderr


def test_an_xls_with_too_many_cells_is_refused(run, app):
    app.config["IMPORT_MAX_CELLS"] = 500
    data = _xls({(r, c): "x" for r in range(60) for c in range(10)})
    result = run("villages", data, "名单.xls")
    assert result.exit_code == 2 and "文件解压后过大或结构异常" in result.stderr


def test_an_encrypted_xls_is_explained(run):
    """A FILEPASS record right after the workbook's BOF: Excel's "password to open"."""
    data = bytearray(_xls({(0, 0): "乡镇"}))
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(bytes(data)))
    stream = bytearray(ole.openstream("Workbook").read())
    ole.close()
    start = bytes(data).find(bytes(stream[:64]))  # a fresh xlwt file keeps the stream in one piece
    at = 4 + struct.unpack_from("<H", stream, 2)[0]  # the record after BOF becomes a FILEPASS
    struct.pack_into("<H", stream, at, 0x002F)
    data[start:start + len(stream)] = stream
    result = run("villages", bytes(data), "名单.xls")
    assert result.exit_code == 2 and "设置了打开密码" in result.stderr


def _ods(rows_xml: str) -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="名单">'
               f'{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


def _ods_row(*values, repeat: int = 1) -> str:
    cells = "".join(f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
                    for v in values)
    return f'<table:table-row table:number-rows-repeated="{repeat}">{cells}</table:table-row>'


def test_a_hand_made_ods_with_a_merged_township_is_read(run):
    merged = ('<table:table-row><table:table-cell table:number-rows-spanned="2" office:value-type="string">'
              '<text:p>东镇</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>甲村'
              '</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>是</text:p>'
              '</table:table-cell></table:table-row><table:table-row><table:covered-table-cell/>'
              '<table:table-cell office:value-type="string"><text:p>乙村</text:p></table:table-cell>'
              '<table:table-cell office:value-type="string"><text:p>否</text:p></table:table-cell></table:table-row>')
    result = run("villages", _ods(_ods_row("乡镇", "村", "经济薄弱村") + merged), "名单.ods")
    assert result.exit_code == 0, result.output
    assert db.session.execute(sa.select(Township.name, Village.name, Village.is_weak).join(Township)
                              .order_by(Village.id)).all() == [("东镇", "甲村", True), ("东镇", "乙村", False)]


def test_an_ods_whose_rows_repeat_a_million_times_is_refused(run):
    data = _ods(_ods_row("乡镇", "村", "经济薄弱村") + _ods_row("东镇", "甲村", "是", repeat=1_000_000))
    assert len(data) < 5000
    result = run("villages", data, "名单.ods")
    assert result.exit_code == 2 and "文件解压后过大或结构异常" in result.stderr
    assert count(Village) == 0


def test_an_ods_with_a_doctype_is_refused(run):
    data = _ods(_ods_row("乡镇", "村", "经济薄弱村"))
    data = rezip(data, lambda n, b: b.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
                 if n == "content.xml" else b)
    result = run("villages", data, "名单.ods")
    assert result.exit_code == 2 and "DOCTYPE" in result.stderr


def test_a_zip_that_is_neither_xlsx_nor_ods_is_named(run):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    result = run("villages", out.getvalue(), "名单.xlsx")
    assert result.exit_code == 2 and "不是 Excel 工作簿" in result.stderr
