"""Reading an uploaded roster safely: .xlsx (python-calamine) or .csv, as rows of cells.

A hostile file is refused before any parser sees it: the real format is sniffed from the
bytes (an HTML page or a CSV saved under an .xlsx name is named as such), and an .xlsx is
checked for its entry count, its total uncompressed size (measured while inflating, so a
lying header does not help), XML document type declarations, and the extent of its cells
(calamine allocates the whole rectangle, so two far-apart cells would exhaust memory).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_CELL_TAG = re.compile(rb"<c[\s>/]")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_CHUNK = 1 << 20


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


@dataclass
class RawTable:
    #: each row's cells, rows[0] is spreadsheet row 1
    rows: list[list]


def read_table(data: bytes, filename: str) -> RawTable:
    """Sniff, guard and read the first worksheet (or the CSV) of an uploaded file."""
    ext = _extension(filename)
    kind = sniff(data)
    if ext == ".xlsx":
        if kind != "xlsx":
            raise FileProblem(_wrong_content(kind, ".xlsx"))
        return RawTable(_read_xlsx(data))
    if ext == ".csv":
        if kind != "text":
            raise FileProblem(_wrong_content(kind, ".csv"))
        return RawTable(_read_csv(data))
    raise FileProblem(_("只能导入 .xlsx 或 .csv 文件；.xls 等其他格式请先在 Excel 或 WPS 中另存为 .xlsx"))


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower()
    return name[name.rfind("."):] if "." in name else ""


def sniff(data: bytes) -> str:
    """What the bytes really are: xlsx (a zip), ole (old .xls), html, text, empty or binary."""
    if not data.strip():
        return "empty"
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "ole"
    head = data[:4096]
    if b"\x00" in head:
        return "binary"
    text = _decode(head, strict=False).lstrip("\ufeff \t\r\n").lower()
    if text.startswith("<") or "<html" in text or "<table" in text:
        return "html"
    return "text"


def _wrong_content(kind: str, ext: str) -> str:
    if kind == "empty":
        return _("文件是空的")
    if kind == "html":
        return _("这个文件实际是网页（HTML），不是 Excel 表格；请在 Excel 或 WPS 中打开它，另存为 .xlsx 后再导入")
    if kind == "ole":
        return _("这是旧版 .xls 文件或设置了打开密码的文件；请取消密码并另存为 .xlsx 后再导入")
    if kind == "text" and ext == ".xlsx":
        return _("这个文件实际是 CSV 文本，不是 .xlsx；请把扩展名改为 .csv，或在 Excel 中另存为 .xlsx 后再导入")
    if kind == "xlsx" and ext == ".csv":
        return _("这个文件实际是 Excel 表格；请把扩展名改为 .xlsx 后再导入")
    return _("无法识别这个文件的格式；请在 Excel 或 WPS 中另存为 .xlsx 后再导入")


def _decode(data: bytes, strict: bool = True) -> str:
    """UTF-8 (with or without BOM), else GB18030 as Excel and WPS save CSV on Chinese Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not strict:
            return data.decode("utf-8", errors="replace")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as err:
        raise FileProblem(_("无法识别 CSV 文件的文字编码；请另存为“CSV UTF-8”或 .xlsx 后再导入")) from err


def _read_csv(data: bytes) -> list[list]:
    text = _decode(data)
    limit = current_app.config["IMPORT_MAX_ROWS"] + 1
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            rows.append(row)
            if len(rows) > limit + 50:
                break
    except csv.Error as err:
        raise FileProblem(_("CSV 文件格式有误（%(err)s）；请在 Excel 中打开并另存为 .xlsx 后再导入", err=str(err))) from err
    return rows


def check_xlsx(data: bytes) -> None:
    """Refuse a zip bomb or an oversized sheet before calamine opens the workbook."""
    cfg = current_app.config
    max_entries, max_bytes = cfg["IMPORT_MAX_ZIP_ENTRIES"], cfg["IMPORT_MAX_UNCOMPRESSED"]
    max_rows, max_cells = cfg["IMPORT_MAX_ROWS"], cfg["IMPORT_MAX_CELLS"]
    too_big = _("文件解压后过大或结构异常，已拒绝；请只保留需要导入的工作表，或分成几个文件导入")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise FileProblem(_("文件已损坏，无法打开；请在 Excel 或 WPS 中另存为 .xlsx 后再导入")) from err
    if len(entries) > max_entries or sum(e.file_size for e in entries) > max_bytes:
        raise FileProblem(too_big)
    if not any(e.filename == "xl/workbook.xml" for e in entries):
        raise FileProblem(_("这个文件不是 Excel 工作簿（可能是 Word 等其他文件）；请上传 .xlsx 表格"))
    total = 0
    for entry in entries:
        sheet = entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml")
        max_row = max_col = cells = 0
        tail = b""
        try:
            with archive.open(entry) as fh:
                first = True
                while chunk := fh.read(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise FileProblem(too_big)
                    if first and entry.filename.endswith((".xml", ".rels")) and _DOCTYPE.search(chunk[:2048]):
                        raise FileProblem(_("文件包含不允许的 XML 声明（DOCTYPE），已拒绝"))
                    first = False
                    if sheet:
                        # cells may omit their r="A1" reference, so count the tags as well
                        cells += len(_CELL_TAG.findall(chunk))
                        block = tail + chunk
                        for col, row in _CELL_REF.findall(block):
                            max_row = max(max_row, int(row))
                            max_col = max(max_col, _col_number(col))
                        tail = block[-64:]
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as err:
            raise FileProblem(_("文件已损坏，无法打开；请在 Excel 或 WPS 中另存为 .xlsx 后再导入")) from err
        if cells > max_cells:
            raise FileProblem(too_big)
        if max_row > max_rows + 1000 or max_row * max_col > max_cells:
            raise FileProblem(_("工作表的范围过大（内容一直到第%(row)d行、第%(col)d列）；请删去多余的空白行和列，"
                                "或分成几个文件导入", row=max_row, col=max_col))


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _read_xlsx(data: bytes) -> list[list]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    check_xlsx(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [i for i, m in enumerate(book.sheets_metadata)
                   if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet]
        if not visible:
            raise FileProblem(_("工作簿里没有可见的工作表"))
        # skip_empty_area=False keeps rows[0] as spreadsheet row 1, so row numbers are true
        return book.get_sheet_by_index(visible[0]).to_python(skip_empty_area=False)
    except FileProblem:
        raise
    except Exception as err:  # calamine raises its own types for every kind of broken file
        raise FileProblem(_("无法读取这个 Excel 文件（%(err)s）；请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入",
                            err=type(err).__name__)) from err
