"""relief's one spreadsheet writer: sheets to .xlsx (xlsxwriter, streamed) or .csv, with every text
cell kept as text. The yearly workbook (relief.exports), the work record's workbook (relief.records)
and the import templates (relief.imports) are all written here.

A text value is always written with write_string, so "=HYPERLINK(...)", "+1", "-2" or "@SUM"
stay text in Excel and WPS; the workbook is also opened with strings_to_formulas off as a
second guard. In CSV, where a reader decides for itself, such text gets a leading apostrophe.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

import xlsxwriter

#: a cell starting with one of these may be taken for a formula by a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell


@dataclass(frozen=True)
class Col:
    header: str
    width: float = 12
    #: text, int, yuan, percent, decimal, date, datetime, or auto (number format chosen per cell by `formats`)
    kind: str = "text"
    #: the format of the whole column, for cells typed in later (an import template's ID column: text)
    typed: str | None = None


@dataclass
class Sheet:
    key: str
    name: str
    columns: list[Col]
    rows: Callable[[], Iterable[tuple]]
    #: for kind "auto" columns: the format of each row's cell (by row index), e.g. the 汇总 rates
    cell_kind: Callable[[tuple], str] | None = None
    #: a filter on the header row (when there are rows), the header row kept in view, its height
    autofilter: bool = True
    freeze: bool = True
    header_height: float | None = 32


def _plain(value):
    if value is None or type(value) in (str, int, float, date, datetime):
        return value
    if isinstance(value, Enum) and hasattr(value, "zh"):
        return value.zh
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


#: how often (in rows) a long write reports its progress
PROGRESS_EVERY = 5000

#: progress(sheet index, sheet name, rows written so far in it)
Progress = Callable[[int, str, int], None]


def write_xlsx(target, sheets: list[Sheet], title: str = "", progress: Progress | None = None) -> dict[str, int]:
    """Write the sheets in order to a binary file, each row streamed (constant_memory); return rows per sheet."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False,
                                        "default_date_format": "yyyy-mm-dd"})
    book.set_properties({"title": title, "author": "relief", "comments": "结对帮扶"})
    fmt = {
        "head": book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#F2DCDB",
                                 "border": 1}),
        "text": book.add_format({"num_format": "@"}),
        "int": book.add_format({"num_format": "#,##0"}),
        "yuan": book.add_format({"num_format": "#,##0"}),
        "percent": book.add_format({"num_format": "0%"}),  # relief.rates: whole percent
        "decimal": book.add_format({"num_format": "0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    written = {}
    labelled = _LabelledTypes()
    for index, sheet in enumerate(sheets):
        if progress:
            progress(index, sheet.name, 0)
        ws = book.add_worksheet(sheet.name)
        for c, col in enumerate(sheet.columns):
            ws.set_column(c, c, col.width, fmt[col.typed] if col.typed else None)
        if sheet.freeze:
            ws.freeze_panes(1, 0)
        if sheet.header_height:
            ws.set_row(0, sheet.header_height)
        for c, col in enumerate(sheet.columns):
            ws.write_string(0, c, col.header, fmt["head"])
        r = 0
        kinds = [col.kind for col in sheet.columns]
        # the common cells (text in a text column, plain numbers) are written here directly;
        # the rest (enums, booleans, dates, "auto" columns) through _cell
        text_format = [fmt["text"] if kind == "text" else None for kind in kinds]
        number_format = [fmt.get(kind) or fmt["int"] for kind in kinds]
        write_string, write_number = ws.write_string, ws.write_number
        for r, row in enumerate(sheet.rows(), start=1):
            if progress and r % PROGRESS_EVERY == 0:
                progress(index, sheet.name, r)
            for c, value in enumerate(row):
                if value is None:
                    continue
                kind_of = type(value)
                if kind_of is str:
                    write_string(r, c, value if len(value) <= MAX_CELL_TEXT else value[:MAX_CELL_TEXT], text_format[c])
                elif (kind_of is int or kind_of is float) and kinds[c] != "auto":
                    write_number(r, c, value, number_format[c])
                elif labelled[kind_of] and kinds[c] != "auto":  # an enum: its Chinese label
                    write_string(r, c, value.zh, text_format[c])
                else:
                    kind = kinds[c]
                    if kind == "auto":
                        kind = sheet.cell_kind(row) if sheet.cell_kind else "int"
                    _cell(ws, r, c, _plain(value), kind, fmt)
        if sheet.autofilter and r:
            ws.autofilter(0, 0, r, len(sheet.columns) - 1)
        written[sheet.name] = r
    book.close()
    return written


class _LabelledTypes(dict):
    """labelled[type]: whether values of that type are enums with a Chinese label (remembered per type)."""

    def __missing__(self, kind) -> bool:
        self[kind] = issubclass(kind, Enum) and all(hasattr(m, "zh") for m in kind)
        return self[kind]


_EPOCH = datetime(1899, 12, 30)


def _cell(ws, r: int, c: int, value, kind: str, fmt: dict) -> None:
    if value is None:
        return
    kind_of = type(value)
    if kind_of is str:
        ws.write_string(r, c, value[:MAX_CELL_TEXT], fmt["text"] if kind == "text" else None)
    elif kind_of is int or kind_of is float:
        ws.write_number(r, c, value, fmt.get(kind) or fmt["int"])
    elif kind_of is datetime:
        # an Excel serial number with a date format: what write_datetime does, several times faster
        ws.write_number(r, c, (value - _EPOCH).total_seconds() / 86400, fmt["datetime"])
    elif kind_of is date:
        ws.write_number(r, c, (value - _EPOCH.date()).days, fmt["date"])
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt.get(kind) or fmt["int"])
    else:
        ws.write_string(r, c, str(value)[:MAX_CELL_TEXT])


def xlsx_bytes(sheets: list[Sheet], title: str = "") -> bytes:
    """The workbook as bytes (for a small one, sent as the answer)."""
    out = io.BytesIO()
    write_xlsx(out, sheets, title)
    return out.getvalue()


def safe_csv_text(value: str) -> str:
    """Text a spreadsheet could take for a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(target, sheet: Sheet, progress: Progress | None = None) -> int:
    """One sheet as UTF-8 CSV with a BOM (so Excel and WPS detect the encoding); return the rows."""
    target.write(codecs.BOM_UTF8)
    stream = codecs.getwriter("utf-8")(target)
    out = csv.writer(stream, lineterminator="\r\n")
    out.writerow([col.header for col in sheet.columns])
    n = 0
    for n, row in enumerate(sheet.rows(), start=1):
        if progress and n % PROGRESS_EVERY == 0:
            progress(0, sheet.name, n)
        out.writerow([_csv_value(_plain(v)) for v in row])
    return n


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_csv_text(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value
