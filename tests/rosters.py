"""A corpus of roster files made the way district offices make them, for the import tests.

Each roster is a list of sheets (a grid of cells plus merged ranges), written by a real writer
of each format: .xlsx by xlsxwriter, .xls by xlwt (Excel 97-2003, as WPS saves by default),
CSV as Excel saves it on Chinese Windows (GBK), and the .xlsx again through LibreOffice
headless into .xls, .ods and its own .xlsx. LibreOffice takes seconds to start, so every
roster is converted once per test session, all files of one target format in one run, and the
parallel test processes of a session share what was converted.

The data is shaped like the national rosters: 18-digit IDs with valid check digits, townships
and villages of a real-looking county, the national system's words (脱贫户, 监测对象, 因病致贫).
"""
from __future__ import annotations

import csv
import fcntl
import functools
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from relief.ids import check_digit

SOFFICE = shutil.which("soffice")
LIBREOFFICE_FORMATS = ("xls", "ods", "xlsx")


# --- IDs -----------------------------------------------------------------------------------------

def resident_id(area: str, born: date, serial: int) -> str:
    body = f"{area}{born:%Y%m%d}{serial:03d}"
    return body + check_digit(body)


def zeros_id_passing_check(area: str = "321084") -> str:
    """An ID ending in 000 whose check digit happens to pass: one in eleven damaged IDs is one."""
    born = date(1962, 4, 1)
    while True:
        for hundreds in range(10):
            body = f"{area}{born:%Y%m%d}{hundreds}00"
            if check_digit(body) == "0":
                return body + "0"
        born = born.replace(day=born.day + 1)


def excel_damaged(number: str) -> str:
    """What Excel shows after keeping 15 significant digits and formatting with 0 decimals."""
    return str(round(int(number), -3))


# --- the people ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    township: str
    village: str
    name: str
    id_number: str
    phone: str
    members: int
    cause: str  # as written in the roster
    status: str  # as written in the roster
    lifted_year: int | None
    income: int
    #: what must be stored: (cause value, status value, monitor category value or None)
    stored: tuple


PEOPLE = [
    Person("柳堡镇", "三星村", "王德山", resident_id("321084", date(1958, 3, 12), 213), "13852710021", 4,
           "因病致贫", "脱贫户", 2019, 8620, ("illness", "lifted", None)),
    Person("柳堡镇", "三星村", "李桂英", resident_id("321084", date(1961, 11, 2), 224), "13952710033", 2,
           "缺劳动力", "监测对象", None, 5210, ("no_labour", "monitored", "marginal")),
    Person("柳堡镇", "三星村", "张家富", resident_id("321084", date(1970, 7, 25), 351), "15052710045", 5,
           "因学致贫", "已脱贫户", 2020, 9875, ("schooling", "lifted", None)),
    Person("柳堡镇", "周庄村", "陈玉兰", resident_id("321084", date(1949, 1, 30), 462), "051484210567", 1,
           "因残", "脱贫不稳定户", 2018, 6100, ("disability", "monitored", "unstable")),
    Person("柳堡镇", "周庄村", "刘长海", resident_id("321084", date(1966, 9, 9), 575), "18752710089", 3,
           "交通条件落后", "未脱贫", None, 4300, ("other", "poor", None)),
    Person("柳堡镇", "周庄村", "赵秀珍", resident_id("321084", date(1975, 5, 18), 686), "13705271012", 6,
           "缺资金", "贫困户", None, 4550, ("no_funds", "poor", None)),
]
VILLAGES = {"柳堡镇": ["三星村", "周庄村"], "临泽镇": ["朱家村", "新民村"]}
HOUSEHOLD_HEADERS = ["乡镇", "村", "户主姓名", "身份证号", "联系电话", "家庭人口", "致贫原因", "状态", "脱贫年度",
                     "人均纯收入(元)"]


def stored_households(people=PEOPLE) -> list[tuple]:
    """What must be read back from the database, ordered by ID number."""
    return sorted((p.township, p.village, p.name, p.id_number, p.phone, p.members, *p.stored, p.lifted_year, p.income)
                  for p in people)


# --- sheets ----------------------------------------------------------------------------------------

@dataclass
class Grid:
    name: str
    rows: list[list] = field(default_factory=list)
    #: merged ranges (first row, first col, last row, last col), 0-based; the value is the top-left cell
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def add(self, *cells) -> int:
        self.rows.append(list(cells))
        return len(self.rows) - 1

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        self.merges.append((r0, c0, r1, c1))


def instructions_sheet(name: str = "填表说明") -> Grid:
    sheet = Grid(name)
    sheet.add("填表说明")
    sheet.add("1. 身份证号一列请设置为文本格式。")
    sheet.add("2. 状态填写：贫困户、脱贫户、监测对象。")
    return sheet


def office_households(people=PEOPLE, ids=None, merge_places: bool = True, after=()) -> Grid:
    """The 花名册 as a township prints it: title, 填报单位, a two-row merged header, 序号, merged
    乡镇 and 村 down the rows, a 小计 row per village, then 合计, signatures and a note.

    ids: {name: the ID cell as written} instead of the true numbers; after: rows below the note.
    """
    ids = ids or {}
    title = True
    sheet = Grid("花名册")
    width = 11
    if title:
        sheet.merge(sheet.add("柳堡镇2025年脱贫户和监测对象花名册"), 0, 0, width - 1)
        r = sheet.add("填报单位：柳堡镇人民政府（盖章）", None, None, None, None, None, "填报日期：2025年3月1日")
        sheet.merge(r, 0, r, 5)
        sheet.merge(r, 6, r, width - 1)
        sheet.add()
    top = sheet.add("序号", "乡镇", "村", "户主信息", None, None, "家庭人口", "致贫原因", "状态", "脱贫年度",
                    "人均纯收入（元）")
    sheet.add(None, None, None, "户主姓名", "身份证号", "联系电话")
    for col in (0, 1, 2, 6, 7, 8, 9, 10):
        sheet.merge(top, col, top + 1, col)
    sheet.merge(top, 3, top, 5)
    first_of_township = None
    serial = 0
    for village in dict.fromkeys(p.village for p in people):
        group = [p for p in people if p.village == village]
        start = len(sheet.rows)
        for p in group:
            serial += 1
            sheet.add(serial, p.township, p.village, p.name, ids.get(p.name, p.id_number), p.phone, p.members,
                      p.cause, p.status, p.lifted_year, p.income)
        if first_of_township is None:
            first_of_township = start
        if len(group) > 1 and merge_places:
            sheet.merge(start, 2, len(sheet.rows) - 1, 2)
        sheet.add("小计", None, None, None, None, None, sum(p.members for p in group))
    if merge_places:
        sheet.merge(first_of_township, 1, len(sheet.rows) - 1, 1)
    r = sheet.add("合计", None, None, None, None, None, sum(p.members for p in people))
    sheet.merge(r, 0, r, 5)
    sheet.add()
    r = sheet.add("制表人：张三        审核人：李四        填报日期：2025年3月1日")
    sheet.merge(r, 0, r, width - 1)
    r = sheet.add("注：1.状态按全国防返贫监测信息系统填写；2.人均纯收入为2024年度。")
    sheet.merge(r, 0, r, width - 1)
    for row in after:
        sheet.add(*row)
    return sheet


def village_roster() -> Grid:
    sheet = Grid("村庄名单")
    sheet.merge(sheet.add("经济薄弱村名单"), 0, 0, 4)
    sheet.add("序号", "乡镇", "村", "是否经济薄弱村", "年度目标（万元）")
    serial = 0
    for township, names in VILLAGES.items():
        start = len(sheet.rows)
        for name in names:
            serial += 1
            weak = "√" if name in ("三星村", "朱家村") else "×"
            sheet.add(serial, township, name, weak, 18.5 if name == "三星村" else None)
        sheet.merge(start, 1, len(sheet.rows) - 1, 1)
    sheet.add("制表人：王五")
    return sheet


# --- writers ---------------------------------------------------------------------------------------

def _covered(sheet: Grid) -> set[tuple[int, int]]:
    out = set()
    for r0, c0, r1, c1 in sheet.merges:
        out |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
    return out


def to_xlsx(*sheets: Grid, ids_as_numbers: bool = False) -> bytes:
    """Written by xlsxwriter as Excel writes it: text as text, numbers as numbers, dates as dates."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    as_datetime = book.add_format({"num_format": "yyyy/m/d h:mm"})
    for grid in sheets:
        ws = book.add_worksheet(grid.name)
        covered = _covered(grid)
        tops = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in grid.merges}
        for r, row in enumerate(grid.rows):
            for c, value in enumerate(row):
                if (r, c) in covered:
                    continue
                fmt = as_datetime if isinstance(value, datetime) else as_date if isinstance(value, date) else None
                if (r, c) in tops:
                    r1, c1 = tops[(r, c)]
                    ws.merge_range(r, c, r1, c1, "" if value is None else value, fmt)
                    continue
                if value is None:
                    continue
                if isinstance(value, date):
                    ws.write_datetime(r, c, value, fmt)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif ids_as_numbers and isinstance(value, str) and value.isdigit() and len(value) == 18:
                    ws.write_number(r, c, float(value))
                else:
                    ws.write_string(r, c, value)
    book.close()
    return buf.getvalue()


def to_xls(*sheets: Grid) -> bytes:
    """Written by xlwt: a real Excel 97-2003 workbook (BIFF8), merged cells and all."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    as_date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for grid in sheets:
        ws = book.add_sheet(grid.name)
        covered = _covered(grid)
        tops = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in grid.merges}
        for r, row in enumerate(grid.rows):
            for c, value in enumerate(row):
                if (r, c) in covered:
                    continue
                if (r, c) in tops:
                    r1, c1 = tops[(r, c)]
                    ws.write_merge(r, r1, c, c1, "" if value is None else value)
                elif isinstance(value, date):
                    ws.write(r, c, value, as_date)
                elif value is not None:
                    ws.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(grid: Grid, encoding: str = "gbk") -> bytes:
    """As Excel saves a sheet to CSV: a merged range keeps its value in its first cell only."""
    covered = _covered(grid)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for r, row in enumerate(grid.rows):
        writer.writerow(["" if value is None or (r, c) in covered else
                         value.strftime("%Y/%-m/%-d %-H:%M") if isinstance(value, datetime) else
                         value for c, value in enumerate(row)])
    return out.getvalue().encode(encoding)


# --- LibreOffice ---------------------------------------------------------------------------------

#: every .xlsx that tests send through LibreOffice, registered before the first conversion
_QUEUE: dict[str, bytes] = {}


def prepare(*sources: bytes) -> None:
    """Queue .xlsx files for LibreOffice, so that the first conversion of a format converts them all."""
    for data in sources:
        _QUEUE.setdefault(hashlib.sha1(data).hexdigest(), data)


def libreoffice(data: bytes, fmt: str) -> bytes:
    """`data` (an .xlsx) saved by LibreOffice as `fmt`; converted once per session with its queue."""
    key = hashlib.sha1(data).hexdigest()
    _QUEUE.setdefault(key, data)
    converted = _convert(fmt, tuple(sorted(_QUEUE)))
    if key not in converted:  # registered after this format's batch ran
        _convert.cache_clear()
        converted = _convert(fmt, tuple(sorted(_QUEUE)))
    return converted[key]


#: what the test processes of this session converted (pytest-xdist names the run; alone, the process)
_SHARED = Path(tempfile.gettempdir()) / f"relief-rosters-{os.environ.get('PYTEST_XDIST_TESTRUNUID') or os.getpid()}"


@functools.cache
def _convert(fmt: str, keys: tuple[str, ...]) -> dict[str, bytes]:
    _SHARED.mkdir(exist_ok=True)
    with open(_SHARED / f"{fmt}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process converts; the others wait and read its files
        missing = [k for k in keys if not (_SHARED / f"{k}.{fmt}").exists()]
        if missing:
            folder = Path(tempfile.mkdtemp(prefix="relief-rosters-"))
            src, out, profile = folder / "src", folder / "out", folder / "profile"
            src.mkdir()
            for key in missing:
                (src / f"{key}.xlsx").write_bytes(_QUEUE[key])
            subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                            "--outdir", str(out), *[str(src / f"{k}.xlsx") for k in missing]],
                           check=True, capture_output=True, timeout=300)
            for key in missing:
                os.replace(out / f"{key}.{fmt}", _SHARED / f"{key}.{fmt}")
            shutil.rmtree(folder, ignore_errors=True)
        return {key: (_SHARED / f"{key}.{fmt}").read_bytes() for key in keys}
