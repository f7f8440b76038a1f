"""Roster files for the import tests (.xlsx by xlsxwriter and .csv, from rows of cells), reading the
workbooks relief writes, and what the import tests count."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import sqlalchemy as sa
import xlsxwriter

from relief.extensions import db

from .conftest import csrf_token
from .factories import valid_id

VILLAGES = ["乡镇", "村", "经济薄弱村", "纬度", "经度", "年度目标(万元)"]
CADRES = ["姓名", "单位", "职务", "职级", "联系电话"]
HOUSEHOLDS = ["乡镇", "村", "户主姓名", "身份证号", "联系电话", "家庭人口", "致贫原因", "状态", "脱贫年度", "人均纯收入(元)"]
PAIRINGS = ["干部联系电话", "结对类型", "身份证号", "乡镇", "村", "开始日期"]
INCOMES = ["乡镇", "村", "年度", "集体经济收入(万元)"]


def xlsx(rows: list[list], numbers_as_numbers: bool = True) -> bytes:
    """An .xlsx whose first sheet holds `rows`; str cells are text, numbers numbers, dates dates."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet("名单")
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, as_date)
            elif isinstance(value, (int, float)) and numbers_as_numbers:
                sheet.write_number(r, c, value)
            elif isinstance(value, tuple):  # ("=formula", cached value)
                sheet.write_formula(r, c, value[0], None, value[1])
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buf.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode(encoding)


def file_id(n: int) -> str:
    """An ID number for file rows; its birth date keeps it apart from the factories' IDs."""
    return valid_id(n, born=date(1975, 3, 9))


def household_row(n: int, township="东镇", village="甲村", **over) -> list:
    values = {"乡镇": township, "村": village, "户主姓名": f"户主{n}", "身份证号": file_id(n),
              "联系电话": f"138{n:08d}", "家庭人口": 3, "致贫原因": "因病", "状态": "贫困", "脱贫年度": None,
              "人均纯收入(元)": 5000 + n}
    values.update(over)
    return [values[h] for h in HOUSEHOLDS]


# -- reading what relief wrote -----------------------------------------------------------------

def table(ws) -> list[tuple]:
    """Every row of a worksheet (openpyxl) as a tuple of its values, the header first."""
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def by_header(ws) -> list[dict]:
    """The rows below the header as {header: value}."""
    rows = table(ws)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# -- what an import did ---------------------------------------------------------------------------

#: a line of the command line's report on a bad row
LINE = re.compile(r"^row \d+: [^:]+: .+$")


def count(model) -> int:
    """How many rows of a model the database holds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def errors(result) -> list[str]:
    """The lines a command wrote to stderr."""
    return [line for line in result.stderr.splitlines() if line]


# -- the import page ------------------------------------------------------------------------------

def upload(client, kind, data, name="名单.xlsx"):
    """Upload a file on the import page: its preview."""
    token = csrf_token(client, "/imports/")
    return client.post("/imports/preview", data={"csrf_token": token, "kind": kind,
                                                 "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def confirm(client, token):
    """Confirm an upload previewed with `token`."""
    return client.post("/imports/confirm", data={"csrf_token": csrf_token(client, "/imports/"), "token": token})
