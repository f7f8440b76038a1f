"""Reading an uploaded roster safely: every visible sheet of an .xlsx, .xlsm, .xls, .ods or .csv.

This is the only module that knows about file formats. It turns the bytes into sheets of
typed cells (str, int, float, bool, date, datetime; None or "" when blank) with merged cells
filled across their range; finding the table in them is table.find_table's job.

A sheet's rows are not all held in Python at once: the first ones are kept for the header
search, and the rest stream from calamine's own copy of the sheet, merged cells filled as they
go by, each time the rows are read (a district's roster as Python lists is 57 MB at 60,000
households).

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from flask import current_app
from flask_babel import gettext as _

from .guards import FileProblem, check_ods, check_xls, check_xlsx, wrong_content, zip_kind

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or an encrypted .xlsx
FORMATS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
#: the rows of a sheet kept at hand: the header is searched for in these (table.HEADER_SEARCH_ROWS)
HEAD_ROWS = 31

__all__ = ["FORMATS", "FileProblem", "Sheet", "Workbook", "read_workbook", "sniff"]


@dataclass
class Sheet:
    name: str
    #: the first HEAD_ROWS rows' cells (fewer in a shorter sheet); head[0] is the sheet's row 1
    head: list[list]
    #: a fresh iterator over every row's cells from the sheet's row 1
    stream: Callable[[], Iterator[list]] = field(repr=False)

    def rows(self, start: int = 0) -> Iterator[list]:
        """Every row's cells from the sheet's row start + 1 down, read afresh (merged cells filled)."""
        return islice(self.stream(), start, None)


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
        return Workbook("csv", [_read_csv(data, _stem(filename))])
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


def _read_csv(data: bytes, name: str) -> Sheet:
    text = _decode(data)
    head = text[:4096]
    # some systems export tab-separated text; a comma-separated file has more commas than tabs
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    limit = current_app.config["IMPORT_MAX_ROWS"] + 1000

    def stream() -> Iterator[list]:
        # enough rows past the limit for the import to say how far the file goes over it
        try:
            yield from islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), limit + 1)
        except csv.Error as err:
            raise FileProblem(_("CSV 文件格式有误（%(err)s）；请在 Excel 中打开并另存为 .xlsx 后再导入",
                                err=str(err))) from err

    return Sheet(name, list(islice(stream(), HEAD_ROWS)), stream)


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
            ranges = sheet.merged_cell_ranges
            if ranges is None and spans is not None:
                ranges = spans.get(meta.name, [])
            ranges = ranges or []
            # skip_empty_area=False keeps head[0] as the sheet's row 1, so row numbers are true
            head = sheet.to_python(skip_empty_area=False, nrows=HEAD_ROWS)
            fill_merged(head, ranges)
            sheets.append(Sheet(meta.name, head, _streamer(sheet, ranges)))
    except PasswordError as err:
        raise FileProblem(wrong_content("encrypted")) from err
    except Exception as err:  # calamine raises its own types for every kind of broken file
        raise _unreadable(err) from err
    if not sheets:
        raise FileProblem(_("工作簿里没有可见的工作表"))
    return sheets


def _unreadable(err: Exception) -> FileProblem:
    return FileProblem(_("无法读取这个 Excel 文件（%(err)s）；请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入",
                         err=type(err).__name__))


def _streamer(sheet, ranges) -> Callable[[], Iterator[list]]:
    """Every row of a calamine sheet as to_python(skip_empty_area=False) has it, one at a time.

    iter_rows starts at the sheet's row 1 but at the first column that holds anything, so the
    columns left of it are put back: a cell's index stays its column.
    """
    left = sheet.start[1] if sheet.start else 0

    def stream() -> Iterator[list]:
        rows = sheet.iter_rows()
        if left:
            pad = [""] * left
            rows = (pad + row for row in rows)
        try:
            yield from filled(rows, ranges)
        except Exception as err:
            raise _unreadable(err) from err

    return stream


def filled(rows, ranges) -> Iterator[list]:
    """The rows with each merged range's top-left value copied into every cell of the range.

    Rows go by one at a time: a range's value is taken when its top row comes (the top-left
    cell is the one that holds it) and written into each of its rows as they follow.
    """
    starting: dict[int, list] = {}
    for (r0, c0), (r1, c1) in ranges:
        starting.setdefault(r0, []).append((c0, r1, c1))
    open_: list[tuple] = []  # (last row, first column, last column, value)
    for number, row in enumerate(rows):
        for c0, r1, c1 in starting.get(number, ()):
            if c0 < len(row) and (value := row[c0]) is not None and value != "":
                open_.append((r1, c0, c1, value))
        if open_:
            open_ = [span for span in open_ if span[0] >= number]
            for _last, c0, c1, value in open_:
                for c in range(c0, min(c1, len(row) - 1) + 1):
                    row[c] = value
        yield row


def fill_merged(rows: list[list], ranges) -> None:
    """Copy each merged range's top-left value into every cell of the range (clipped to the sheet)."""
    for _row in filled(rows, ranges):
        pass
