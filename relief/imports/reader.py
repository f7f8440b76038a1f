"""Reading an uploaded roster safely: every visible sheet of an .xlsx, .xlsm, .xls, .ods or .csv.

This is the only module that knows about file formats. It turns the bytes into sheets of
typed cells (str, int, float, bool, date, datetime; None or "" when blank) with merged cells
filled across their range; finding the table in them is table.find_table's job.

The real format is sniffed from the bytes, whatever the file's name says (an HTML page saved
under an .xls name is named as such), and the guards of guards.py refuse a hostile or
oversized file before calamine opens it.

Spreadsheets are read with python-calamine's own API rather than pandas.read_excel: pandas'
dtype=str turns an ID that Excel stored as a number (3.21311975030900E+17) into the text
"321311197503089984", which neither looks like a number nor ends in 000, so the damage could
no longer be seen; pandas also drops merged-cell ranges. CSV is read with the csv module
rather than pandas.read_csv, which refuses a file whose title row has fewer fields than its
table ("Expected 1 fields in line 3, saw 10").
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from .guards import FileProblem, check_ods, check_xls, check_xlsx, wrong_content, zip_kind

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or an encrypted .xlsx
FORMATS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")

__all__ = ["FORMATS", "FileProblem", "Sheet", "Workbook", "read_workbook", "sniff"]


@dataclass
class Sheet:
    name: str
    #: each row's cells, rows[0] is the sheet's row 1
    rows: list[list]


@dataclass
class Workbook:
    #: "xlsx", "xls", "ods" or "csv": what the bytes really are
    format: str
    #: the visible worksheets in workbook order (a CSV has one, named after the file)
    sheets: list[Sheet] = field(default_factory=list)


def read_workbook(data: bytes, filename: str) -> Workbook:
    """Sniff, guard and read every visible worksheet of an uploaded file, whatever its name says."""
    kind = sniff(data)
    if kind == "zip":
        kind = zip_kind(data)
    if kind == "xlsx":
        check_xlsx(data)
        return Workbook("xlsx", _read_calamine(data))
    if kind == "ods":
        spans = check_ods(data)
        return Workbook("ods", _read_calamine(data, spans))
    if kind == "ole":
        check_xls(data)
        return Workbook("xls", _read_calamine(data))
    if kind == "text":
        return Workbook("csv", [Sheet(_stem(filename), _read_csv(data))])
    raise FileProblem(wrong_content(kind))


def _stem(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def sniff(data: bytes) -> str:
    """What the bytes really are: zip (.xlsx or .ods), ole (.xls), html, text, empty or binary."""
    if not data.strip():
        return "empty"
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    head = data[:4096]
    if b"\x00" in head:
        return "binary"
    text = _decode(head, strict=False).lstrip("\ufeff \t\r\n").lower()
    if text.startswith("<") or "<html" in text or "<table" in text:
        return "html"
    return "text"


def _decode(data: bytes, strict: bool = True) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK) as Excel and WPS save CSV on Chinese Windows."""
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
    head = text[:4096]
    # some systems export tab-separated text; a comma-separated file has more commas than tabs
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    limit = current_app.config["IMPORT_MAX_ROWS"] + 1000
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            if len(rows) > limit:
                break
    except csv.Error as err:
        raise FileProblem(_("CSV 文件格式有误（%(err)s）；请在 Excel 中打开并另存为 .xlsx 后再导入", err=str(err))) from err
    return rows


# --- the cells ---------------------------------------------------------------------------------

def _read_calamine(data: bytes, spans: dict[str, list] | None = None) -> list[Sheet]:
    """Every visible worksheet, merged cells filled; spans: the merged ranges of an .ods by sheet."""
    from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for index, meta in enumerate(book.sheets_metadata):
            if meta.visible != SheetVisibleEnum.Visible or meta.typ != SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_index(index)
            # skip_empty_area=False keeps rows[0] as the sheet's row 1, so row numbers are true
            rows = sheet.to_python(skip_empty_area=False)
            ranges = sheet.merged_cell_ranges
            if ranges is None and spans is not None:
                ranges = spans.get(meta.name, [])
            fill_merged(rows, ranges or [])
            sheets.append(Sheet(meta.name, rows))
    except PasswordError as err:
        raise FileProblem(wrong_content("encrypted")) from err
    except Exception as err:  # calamine raises its own types for every kind of broken file
        raise FileProblem(_("无法读取这个 Excel 文件（%(err)s）；请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入",
                            err=type(err).__name__)) from err
    if not sheets:
        raise FileProblem(_("工作簿里没有可见的工作表"))
    return sheets


def fill_merged(rows: list[list], ranges) -> None:
    """Copy each merged range's top-left value into every cell of the range (clipped to the sheet)."""
    height = len(rows)
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= height or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if value is None or value == "":
            continue
        for r in range(r0, min(r1, height - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value
