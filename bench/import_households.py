"""Time the import of a district's 20,000 households from one file (target: under 10 s).

    .venv/bin/python -m bench.import_households [--households 20000] [--format xlsx|xls] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder unless --database-url is given, which
must point at an EMPTY database), imports 20 townships x 20 villages, then the households
file twice: the first run inserts every row, the second finds every row unchanged.
--format xls writes the roster as an office does: Excel 97-2003 (xlwt), a title row, a
two-row header with a group heading, a 序号 column, 乡镇 merged down its rows, a footer.
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import xlsxwriter

from relief import create_app
from relief.database import writing
from relief.extensions import db
from relief.ids import check_digit
from relief.imports.services import run_import

CAUSES = ["因病", "因残", "因学", "因灾", "缺技术", "缺劳力", "缺资金"]
STATUSES = ["贫困", "已脱贫", "监测户"]


def build(rows: list[list]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return buf.getvalue()


def households(n: int) -> list[list]:
    rows = [["乡镇", "村", "户主姓名", "身份证号", "联系电话", "家庭人口", "致贫原因", "状态", "脱贫年度", "人均纯收入(元)"]]
    for i in range(n):
        born = date(1940 + i % 60, 1 + i % 12, 1 + i % 28)
        body = f"{320100 + i % 90:06d}{born:%Y%m%d}{i % 1000:03d}"
        # the sequence number never ends in 00 here: a file where IDs end in 000 far more often than
        # one in 1,100 is refused as damaged by Excel (relief.imports.base.IdDamage)
        body = body[:6] + body[6:14] + f"{((i // 1000) * 37 + 101) % 1000:03d}"
        number = body + check_digit(body)
        status = STATUSES[i % 3]
        rows.append([f"镇{i % 20:02d}", f"村{i % 400:03d}", f"户主{i}", number, f"138{i:08d}", 1 + i % 6,
                     CAUSES[i % 7], status, 2020 if status == "已脱贫" else None, 4000 + i % 9000])
    return rows


def build_xls(rows: list[list]) -> bytes:
    """The same rows as an office's .xls: title, two-row header, 序号, merged 乡镇 runs, footer."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    header, body = rows[0], rows[1:]
    width = len(header) + 1
    sheet.write_merge(0, 0, 0, width - 1, "2025年脱贫户和监测对象花名册")
    sheet.write_merge(1, 1, 0, width - 1, "填报单位：区农业农村局")
    sheet.write_merge(2, 3, 0, 0, "序号")
    for c, name in enumerate(header, start=1):
        if name in ("户主姓名", "身份证号", "联系电话"):
            sheet.write(3, c, name)
        else:
            sheet.write_merge(2, 3, c, c, name)
    sheet.write_merge(2, 2, 3, 5, "户主信息")
    r = 4
    start = 4
    for i, row in enumerate(body):
        sheet.write(r, 0, i + 1)
        for c, value in enumerate(row[1:], start=2):
            if value is not None:
                sheet.write(r, c, value)
        last = i + 1 == len(body) or body[i + 1][0] != row[0]
        if last:
            if r > start:
                sheet.write_merge(start, r, 1, 1, row[0])
            else:
                sheet.write(r, 1, row[0])
            start = r + 1
        r += 1
    sheet.write_merge(r, r, 0, 2, "合计")
    sheet.write_merge(r + 2, r + 2, 0, width - 1, "制表人：张三    审核人：李四    填报日期：2025年3月1日")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(n: int = 20_000, database_url: str | None = None, fmt: str = "xlsx") -> dict:
    """Import n households twice into a fresh database; seconds of each run and their summaries."""
    folder = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    app.instance_path = str(folder / "instance")
    villages = [["乡镇", "村", "经济薄弱村"]] + [[f"镇{v % 20:02d}", f"村{v:03d}", "否"] for v in range(400)]
    # the roster is written by a process of its own, as an office's file comes from elsewhere: this
    # process's peak memory is then the import's, not that of the rows and the writer making the file
    path = folder / f"households.{fmt}"
    subprocess.run([sys.executable, "-m", "bench.import_households", "--households", str(n), "--format", fmt,
                    "--write", str(path)], check=True, cwd=Path(__file__).resolve().parents[1])
    data = path.read_bytes()
    out = {"households": n, "format": fmt, "file_mb": round(len(data) / 1e6, 2), "database": url.split("://")[0]}
    with app.app_context():
        db.create_all()
        with writing():
            run_import("villages", build(villages), "villages.xlsx")
            db.session.commit()
        for key in ("first", "second"):
            began, cpu = time.perf_counter(), time.process_time()
            with writing():
                outcome = run_import("households", data, f"households.{fmt}")
                assert outcome.ok, outcome.errors[:5]
                db.session.commit()
            out[f"{key}_s"] = round(time.perf_counter() - began, 2)
            out[f"{key}_cpu_s"] = round(time.process_time() - cpu, 2)
            out[f"{key}_summary"] = outcome.summary()
    return out


def write(n: int, fmt: str, path: Path) -> None:
    """The roster file of n households, as measure() imports it."""
    rows = households(n)
    if fmt == "xls":
        rows = [rows[0]] + sorted(rows[1:], key=lambda r: r[0])  # a township's households together, as printed
    path.write_bytes(build_xls(rows) if fmt == "xls" else build(rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--format", choices=["xlsx", "xls"], default="xlsx")
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    parser.add_argument("--write", type=Path, help="only write the roster file to this path")
    args = parser.parse_args()
    if args.write:
        write(args.households, args.format, args.write)
        return
    out = measure(args.households, args.database_url, args.format)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"{out['households']} households: {out['file_mb']} MB .{out['format']}, database {out['database']}")
    for key, label in (("first", "first import (all new)"), ("second", "second import (all unchanged)")):
        print(f"{label}: {out[key + '_s']:.2f} s wall, {out[key + '_cpu_s']:.2f} s CPU  {out[key + '_summary']}")


if __name__ == "__main__":
    main()
