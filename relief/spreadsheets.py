"""relief's one spreadsheet writer: sheets to .xlsx (rustpy-xlsxwriter, streamed) or .csv, with
every text cell kept as text. Every .xlsx relief makes is written here: the yearly workbook
(relief.exports, also split by township into a zip), the work record's workbook (relief.records)
and the import templates (relief.imports).

A text value is always written as an inline string cell, so "=HYPERLINK(...)", "+1", "-2" or
"@SUM" stay text in Excel and WPS (rustpy-xlsxwriter writes formulas only when asked, which relief
never does). In CSV, where a reader decides for itself, such text gets a leading apostrophe.

Why rustpy-xlsxwriter and not xlsxwriter: on the district's yearly sheets it writes the same cells
about ten times faster in the same (constant) memory; docs/benchmarks.md has the figures.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import rustpy_xlsxwriter

#: the media type of every .xlsx relief sends
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: a cell starting with one of these may be taken for a formula by a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell


@dataclass(frozen=True)
class Col:
    header: str
    width: float = 12
    #: text, int, yuan, percent, decimal, date, datetime, general (no format: what is typed there keeps
    #: its type), or auto (the number format chosen row by row by the sheet's `cell_kind`)
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

#: cell values handed to the writer as they are (str too, when not over a cell's limit)
_KEEP = frozenset({int, float, date, datetime, type(None)})


def _formats() -> dict[str, rustpy_xlsxwriter.Format]:
    F = rustpy_xlsxwriter.Format
    return {
        "head": F().set_bold().set_text_wrap().set_align("vcenter").set_background_color("#F2DCDB")
                   .set_border("thin"),
        "text": F().set_num_format("@"),
        "int": F().set_num_format("#,##0"),
        "yuan": F().set_num_format("#,##0"),
        "percent": F().set_num_format("0%"),  # relief.rates: whole percent
        "decimal": F().set_num_format("0.00"),
        "date": F().set_num_format("yyyy-mm-dd"),
        "datetime": F().set_num_format("yyyy-mm-dd hh:mm"),
    }


def write_xlsx(target, sheets: list[Sheet], title: str = "", progress: Progress | None = None) -> dict[str, int]:
    """Write the sheets in order to a binary file (or a path), rows streamed; return rows per sheet.

    rustpy-xlsxwriter (rust_xlsxwriter underneath, in constant memory) writes every str as an
    inline text cell, never as a formula. The header row gets its format and height, each column
    its width and number format (a column format also formats what is typed there later), and
    an "auto" column its format row by row (the 汇总 sheet's rates). `title` is kept for the
    callers; the writer sets no document properties."""
    fmt = _formats()
    written: dict[str, int] = {}
    options: dict[str, dict] = {name: {} for name in (
        "column_widths", "column_formats", "header_format", "row_heights", "row_formats", "autofilter")}
    freeze, entries = {}, []
    for index, sheet in enumerate(sheets):
        headers = [col.header for col in sheet.columns]
        if len(set(headers)) != len(headers):
            raise ValueError(f"sheet {sheet.name}: a column header appears twice")
        name = sheet.name
        options["column_widths"][name] = [col.width for col in sheet.columns]
        options["column_formats"][name] = [fmt.get(col.typed or col.kind) for col in sheet.columns]
        options["header_format"][name] = fmt["head"]
        if sheet.header_height:
            options["row_heights"][name] = {0: sheet.header_height}
        if sheet.freeze:
            freeze[name] = {"row": 1, "col": 0}
        rows = iter(sheet.rows())
        first = next(rows, None)
        if first is None:  # the header alone: one record of empty cells writes just the header row
            entries.append((name, [dict.fromkeys(headers)]))
            written[name] = 0
            options["autofilter"][name] = False
            continue
        options["autofilter"][name] = sheet.autofilter
        if any(col.kind == "auto" for col in sheet.columns):
            rows = [first, *rows]  # a few rows (汇总): each one's number format by its label
            kind_of = sheet.cell_kind or (lambda row: "int")
            options["row_formats"][name] = {r: fmt[kind_of(row)] for r, row in enumerate(rows, start=1)}
            first, rows = rows[0], iter(rows[1:])
        entries.append((name, _records(index, name, headers, first, rows, written, progress)))
    rustpy_xlsxwriter.write_worksheets(entries, target, freeze_panes=freeze or None,
                                       **{option: value for option, value in options.items() if value})
    return written


def _records(index: int, name: str, headers: list[str], first: tuple, rows: Iterator[tuple],
             written: dict[str, int], progress: Progress | None) -> Iterator[dict]:
    """The sheet's rows as the writer takes them (one dict per row), with progress now and then."""
    if progress:
        progress(index, name, 0)
    keep, limit = _KEEP, MAX_CELL_TEXT
    n = 0
    for n, row in enumerate(itertools.chain((first,), rows), start=1):
        if progress and n % PROGRESS_EVERY == 0:
            progress(index, name, n)
        yield {h: v if (t := type(v)) in keep or (t is str and len(v) <= limit) else _convert(v)
               for h, v in zip(headers, row)}
    written[name] = n


class _LabelledTypes(dict):
    """labelled[type]: whether values of that type are enums with a Chinese label (remembered per type)."""

    def __missing__(self, kind) -> bool:
        self[kind] = issubclass(kind, Enum) and all(hasattr(m, "zh") for m in kind)
        return self[kind]


_labelled = _LabelledTypes()


def _convert(value):
    """A cell the writer does not take as it is: long text cut, an enum's label, 是/否, a number."""
    if _labelled[type(value)]:  # before str: relief's enums are str enums
        return value.zh
    if isinstance(value, str):
        return str(value)[:MAX_CELL_TEXT]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, date):  # a subclass of date or datetime
        return datetime.fromisoformat(value.isoformat()) if isinstance(value, datetime) else date.fromordinal(value.toordinal())
    return str(value)[:MAX_CELL_TEXT]


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
