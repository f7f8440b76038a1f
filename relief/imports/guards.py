"""Guards that refuse a hostile or oversized spreadsheet before any parser allocates for it.

A zip (.xlsx, .xlsm, .ods) is checked for its entry count, its total uncompressed size
(measured while inflating, so a lying header does not help) and XML document type
declarations; every format is checked for the extent of its cells, because calamine allocates
the whole rectangle of a sheet: two far-apart cells in an .xlsx, an .xls with cells in A1 and
IV65536 (1 GB), or an .ods of 2 KB repeating one row a million times (450 MB).
"""
from __future__ import annotations

import io
import re
import struct
import zipfile

from flask import current_app
from flask_babel import gettext as _

_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_CELL_TAG = re.compile(rb"<c[\s>/]")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_CHUNK = 1 << 20


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


def wrong_content(kind: str) -> str:
    if kind == "empty":
        return _("文件是空的")
    if kind == "html":
        return _("这个文件实际是网页（HTML），不是 Excel 表格；请在 Excel 或 WPS 中打开它，另存为 .xlsx 后再导入")
    if kind == "word":
        return _("这个文件不是 Excel 工作簿（可能是 Word 等其他文件）；请上传 .xlsx、.xls、.ods 或 .csv 表格")
    if kind == "encrypted":
        return _("这个文件设置了打开密码；请在 Excel 或 WPS 中取消密码，另存为 .xlsx 后再导入")
    return _("无法识别这个文件的格式；请在 Excel 或 WPS 中另存为 .xlsx 后再导入")

# --- zip containers: .xlsx / .xlsm and .ods -----------------------------------------------------

def _too_big() -> FileProblem:
    return FileProblem(_("文件解压后过大或结构异常，已拒绝；请只保留需要导入的工作表，或分成几个文件导入"))


def _broken() -> FileProblem:
    return FileProblem(_("文件已损坏，无法打开；请在 Excel 或 WPS 中另存为 .xlsx 后再导入"))


def _extent_problem(max_row: int, max_col: int) -> FileProblem:
    return FileProblem(_("工作表的范围过大（内容一直到第%(row)d行、第%(col)d列）；请删去多余的空白行和列，"
                         "或分成几个文件导入", row=max_row, col=max_col))


def _open_zip(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    cfg = current_app.config
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise _broken() from err
    if len(entries) > cfg["IMPORT_MAX_ZIP_ENTRIES"] or sum(e.file_size for e in entries) > cfg["IMPORT_MAX_UNCOMPRESSED"]:
        raise _too_big()
    return archive, entries


def zip_kind(data: bytes) -> str:
    archive, entries = _open_zip(data)
    names = {e.filename for e in entries}
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names:
        try:
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
            raise _broken() from err
        if b"spreadsheet" in mimetype:
            return "ods"
    return "word"


def _inflate(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], on_chunk) -> None:
    """Inflate every entry in chunks, counting the real bytes; refuse DOCTYPE; feed on_chunk(entry, chunk)."""
    max_bytes = current_app.config["IMPORT_MAX_UNCOMPRESSED"]
    total = 0
    for entry in entries:
        try:
            with archive.open(entry) as fh:
                first = True
                while chunk := fh.read(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise _too_big()
                    if first and entry.filename.endswith((".xml", ".rels")) and _DOCTYPE.search(chunk[:2048]):
                        raise FileProblem(_("文件包含不允许的 XML 声明（DOCTYPE），已拒绝"))
                    first = False
                    on_chunk(entry, chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as err:
            raise _broken() from err


def _check_extent(max_row: int, max_col: int, cells: int) -> None:
    cfg = current_app.config
    if cells > cfg["IMPORT_MAX_CELLS"]:
        raise _too_big()
    if max_row > cfg["IMPORT_MAX_ROWS"] + 1000 or max_row * max_col > cfg["IMPORT_MAX_CELLS"]:
        raise _extent_problem(max_row, max_col)


def check_xlsx(data: bytes) -> None:
    """Refuse a zip bomb or an oversized sheet before calamine opens the workbook."""
    archive, entries = _open_zip(data)
    if not any(e.filename == "xl/workbook.xml" for e in entries):
        raise FileProblem(wrong_content("word"))
    extents: dict[str, list] = {}

    def scan(entry, chunk):
        if not (entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml")):
            return
        state = extents.setdefault(entry.filename, [0, 0, 0, b""])  # max row, max col, cells, tail
        # cells may omit their r="A1" reference, so count the tags as well
        state[2] += len(_CELL_TAG.findall(chunk))
        block = state[3] + chunk
        for col, row in _CELL_REF.findall(block):
            state[0] = max(state[0], int(row))
            state[1] = max(state[1], _col_number(col))
        state[3] = block[-64:]

    _inflate(archive, entries, scan)
    for max_row, max_col, cells, _tail in extents.values():
        _check_extent(max_row, max_col, cells)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_T = _TABLE_NS + " "


def check_ods(data: bytes) -> dict[str, list]:
    """Guard an .ods like an .xlsx; return each sheet's merged ranges (calamine has none for .ods).

    content.xml is read with expat's own callbacks (an ElementTree parse takes seconds for a
    district's roster), after the zip checks, with document type declarations refused as
    defusedxml refuses them; its number-rows-spanned / number-columns-spanned give the ranges.
    """
    import xml.parsers.expat

    archive, entries = _open_zip(data)
    _inflate(archive, entries, lambda entry, chunk: None)
    max_cells = current_app.config["IMPORT_MAX_CELLS"]
    spans: dict[str, list] = {}
    state = {"sheet": None, "row": 0, "col": 0, "repeat": 1, "cells": 0, "max_row": 0, "max_col": 0, "cell": None}
    cell_tags = (_T + "table-cell", _T + "covered-table-cell")
    value_type = _OFFICE_NS + " value-type"

    def finish_sheet():
        if state["sheet"] is not None:
            _check_extent(state["max_row"], state["max_col"], state["cells"])

    def count(repeat: int, filled: bool):
        if filled:
            state["cells"] += repeat * state["repeat"]
            state["max_row"] = max(state["max_row"], state["row"] + state["repeat"])
            state["max_col"] = max(state["max_col"], state["col"] + repeat)
            if state["cells"] > max_cells:
                raise _too_big()
        state["col"] += repeat

    def start(tag, attrs):
        if state["cell"] is not None:  # anything inside a cell (text:p) means it holds something
            state["cell"][1] = True
            return
        if tag in cell_tags:
            repeat = int(attrs.get(_T + "number-columns-repeated", "1"))
            rs = int(attrs.get(_T + "number-rows-spanned", "1"))
            cs = int(attrs.get(_T + "number-columns-spanned", "1"))
            if (rs > 1 or cs > 1) and state["sheet"] is not None:
                spans[state["sheet"]].append(((state["row"], state["col"]),
                                              (state["row"] + rs - 1, state["col"] + cs - 1)))
            state["cell"] = [repeat, value_type in attrs, tag]
        elif tag == _T + "table-row":
            state["col"], state["repeat"] = 0, int(attrs.get(_T + "number-rows-repeated", "1"))
        elif tag == _T + "table":
            finish_sheet()
            state.update(sheet=attrs.get(_T + "name", ""), row=0, cells=0, max_row=0, max_col=0)
            spans[state["sheet"]] = []

    def end(tag):
        cell = state["cell"]
        if cell is not None:
            if tag == cell[2]:
                state["cell"] = None
                count(cell[0], cell[1])
            return
        if tag == _T + "table-row":
            state["row"] += state["repeat"]

    def refuse(*_args):
        raise FileProblem(_("文件包含不允许的 XML 声明（DOCTYPE），已拒绝"))

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        with archive.open("content.xml") as fh:
            parser.ParseFile(fh)
        finish_sheet()
    except FileProblem:
        raise
    except (xml.parsers.expat.ExpatError, ValueError, KeyError, zipfile.BadZipFile, OSError, EOFError) as err:
        raise _broken() from err
    return spans


# --- .xls (BIFF8 in an OLE compound file) --------------------------------------------------------

#: BIFF records whose first two fields are the cell's row and column
_CELL_RECORDS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6}
_MULTI_RECORDS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, ..., last column
_BOF, _FILEPASS = 0x0809, 0x002F


def check_xls(data: bytes) -> None:
    """Refuse an encrypted or oversized .xls before calamine opens it (olefile reads the container)."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as err:  # olefile raises OSError and its own types for a broken container
        raise _broken() from err
    try:
        if ole.exists("EncryptedPackage"):
            raise FileProblem(wrong_content("encrypted"))
        stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
        if stream is None:
            raise FileProblem(wrong_content("word"))
        body = ole.openstream(stream).read(current_app.config["IMPORT_MAX_UNCOMPRESSED"])
    except FileProblem:
        raise
    except Exception as err:
        raise _broken() from err
    finally:
        ole.close()
    pos, end = 0, len(body)
    max_row = max_col = cells = 0
    while pos + 4 <= end:
        kind, size = struct.unpack_from("<HH", body, pos)
        pos += 4
        if kind == _FILEPASS:
            raise FileProblem(wrong_content("encrypted"))
        if kind == _BOF:
            _check_extent(max_row, max_col, cells)
            max_row = max_col = cells = 0
        elif size >= 4 and kind in _CELL_RECORDS | _MULTI_RECORDS:
            row, first = struct.unpack_from("<HH", body, pos)
            last = struct.unpack_from("<H", body, pos + size - 2)[0] if kind in _MULTI_RECORDS and size >= 6 else first
            cells += max(1, last - first + 1)
            max_row, max_col = max(max_row, row + 1), max(max_col, last + 1)
        pos += size
    _check_extent(max_row, max_col, cells)
