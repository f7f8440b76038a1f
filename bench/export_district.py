"""Time and peak memory of the yearly export of a district, against a raw xlsxwriter write.

    .venv/bin/python -m bench.export_district [--database-url URL] [--year YYYY] [--json]

Without --database-url, a temporary SQLite database is filled with the district demo
(~20,000 households, 4,000 cadres, ~200,000 visits) first. Two child processes follow, twice in
turn (the fastest run of each is compared):
  export  `services.export` as `flask relief export` runs it; its own peak resident memory
          (ru_maxrss) is read when it ends (target: under 250 MB)
  raw     the same rows, read into lists first (not timed), then written with plain xlsxwriter
          in constant_memory mode, one type-dispatched write per cell: the yardstick (target:
          the whole export, queries and masking included, in at most 0.4 x its time)

With --writers, the candidate writers are also compared on the same rows (read once, not timed):
xlsxwriter constant_memory, rustpy-xlsxwriter from row dicts (relief's path), rustpy-xlsxwriter
from pandas DataFrames, and pandas' own to_excel through xlsxwriter.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(mode: str, url: str, year: int, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.export_district", f"--{mode}", url, str(year), str(out)],
                          cwd=ROOT, env={**os.environ, "RELIEF_SECRET_KEY": "bench"}, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(url: str, year: int, folder: Path, runs: int = 3) -> dict:
    """The export and the raw write of the same rows, each in a process of its own, `runs` times
    in turn; the fastest of each is compared (a shared machine only ever adds time), the largest
    peak memory is reported."""
    exports, raws = [], []
    for _ in range(runs):
        exports.append(_child("export", url, year, folder / "export.xlsx"))
        raws.append(_child("raw", url, year, folder / "raw.xlsx"))
    load = round(os.getloadavg()[0], 1)  # the 1-minute load average as the runs end (2 cores here)
    export = min(exports, key=lambda e: e["seconds"])
    raw = min(raws, key=lambda r: r["seconds"])
    return {"year": year, "load": load, "export_s": export["seconds"], "export_cpu_s": export["cpu_s"],
            "peak_mb": max(e["peak_mb"] for e in exports), "file_mb": export["file_mb"], "rows": export["rows"],
            "raw_s": raw["seconds"], "raw_cpu_s": min(r["cpu_s"] for r in raws), "raw_read_s": raw["read_s"],
            "ratio": round(export["seconds"] / raw["seconds"], 2),
            # CPU seconds too: on a machine shared with other work, wall time is mostly waiting for a core
            "cpu_ratio": round(min(e["cpu_s"] for e in exports) / min(r["cpu_s"] for r in raws), 2),
            "runs": {"export_s": [e["seconds"] for e in exports], "raw_s": [r["seconds"] for r in raws]}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--year", type=int)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    parser.add_argument("--writers", action="store_true", help="also compare the candidate writers")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="relief-export-"))
    url = args.database_url or f"sqlite:///{folder / 'district.db'}"
    if not args.database_url:
        env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_SECRET_KEY": "bench",
               "RELIEF_PASSWORD": "bench-password"}
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        began = time.perf_counter()
        subprocess.run([*flask, "relief", "demo", "--scale", "district"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        print(f"district demo generated in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    out = measure(url, args.year or date.today().year, folder)
    if args.writers:
        out["writers"] = _child("writers", url, out["year"], folder / "writer.xlsx")
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(", ".join(f"{name} {n}" for name, n in out["rows"].items()))
    print(f"export of {out['year']}: {out['export_s']:.1f} s wall, {out['export_cpu_s']:.1f} s CPU, "
          f"peak memory {out['peak_mb']:.0f} MB, file {out['file_mb']:.1f} MB")
    print(f"raw xlsxwriter write of the same rows: {out['raw_s']:.1f} s; export / raw = {out['ratio']:.2f} "
          f"(CPU {out['export_cpu_s']:.1f} s / {out['raw_cpu_s']:.1f} s = {out['cpu_ratio']:.2f})")
    for name, w in out.get("writers", {}).items():
        print(f"  writer {name}: {w['seconds']:.1f} s, its own memory +{w['added_mb']:.0f} MB")


def _app(url: str):
    from relief import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})


def export_child(url: str, year: int, out: str) -> None:
    """Export in this process and report its own peak memory (the demo's process is not counted)."""
    from relief.exports import services

    app = _app(url)
    began, cpu = time.perf_counter(), time.process_time()
    with app.app_context(), open(out, "wb") as fh:
        written = services.export(fh, services.Operator(), year, None)
    seconds, cpu_s = time.perf_counter() - began, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "cpu_s": round(cpu_s, 2), "peak_mb": round(peak_mb),
                      "file_mb": round(Path(out).stat().st_size / 1e6, 1), "rows": written}, ensure_ascii=False))


def _rows(url: str, year: int) -> list[tuple[str, list[str], list[tuple]]]:
    """Every sheet's cells exactly as relief writes them (labels for enums), read into lists."""
    from relief.exports import services
    from relief.spreadsheets import _plain

    with _app(url).app_context():
        return [(s.name, [c.header for c in s.columns], [tuple(_plain(v) for v in row) for row in s.rows()])
                for s in services.sheets(services.Operator(), year, None)]


def raw_child(url: str, year: int, out: str) -> None:
    """The same sheets' rows, read first, then written by xlsxwriter with nothing else in the way."""
    began = time.perf_counter()
    sheets = _rows(url, year)
    read_s = time.perf_counter() - began
    began, cpu = time.perf_counter(), time.process_time()
    _xlsxwriter(sheets, out)
    print(json.dumps({"seconds": round(time.perf_counter() - began, 2), "cpu_s": round(time.process_time() - cpu, 2),
                      "read_s": round(read_s, 2)}))


def _xlsxwriter(sheets, out: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    for name, headers, rows in sheets:
        ws = book.add_worksheet(name)
        ws.write_row(0, 0, headers)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                elif isinstance(value, (date, datetime)):
                    ws.write_datetime(r, c, value)
                else:
                    ws.write_number(r, c, value)
    book.close()


def _rustpy_records(sheets, out: str) -> None:
    import rustpy_xlsxwriter

    rustpy_xlsxwriter.write_worksheets(
        [(name, (dict(zip(headers, row)) for row in rows) if rows else [dict.fromkeys(headers)])
         for name, headers, rows in sheets], out)


def _rustpy_frames(sheets, out: str) -> None:
    import pandas as pd
    import rustpy_xlsxwriter

    rustpy_xlsxwriter.write_worksheets([(name, pd.DataFrame(rows, columns=headers)) for name, headers, rows in sheets],
                                       out)


def _pandas_xlsxwriter(sheets, out: str) -> None:
    import pandas as pd

    # not constant_memory: pandas writes a sheet column by column, which that mode silently drops
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        for name, headers, rows in sheets:
            pd.DataFrame(rows, columns=headers).to_excel(writer, sheet_name=name, index=False)


#: the candidate writers, each given every sheet's cells already read
WRITERS = {"xlsxwriter constant_memory": _xlsxwriter, "rustpy-xlsxwriter, row dicts": _rustpy_records,
           "rustpy-xlsxwriter, pandas DataFrames": _rustpy_frames, "pandas to_excel (xlsxwriter)": _pandas_xlsxwriter}


def writers_child(url: str, year: int, out: str) -> None:
    """Each candidate writer on the same cells, in this process, in turn; their time and the memory each adds."""
    sheets = _rows(url, year)
    figures = {}
    for name, write in WRITERS.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        began, cpu = time.perf_counter(), time.process_time()
        write(sheets, out)
        figures[name] = {"seconds": round(time.perf_counter() - began, 2), "cpu_s": round(time.process_time() - cpu, 2),
                         "added_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before),
                         "file_mb": round(Path(out).stat().st_size / 1e6, 1)}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--export"]:
        export_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1:2] == ["--raw"]:
        raw_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1:2] == ["--writers"] and len(sys.argv) == 5:
        writers_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
