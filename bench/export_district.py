"""Time and peak memory of the yearly export of a district (target: under 250 MB).

    .venv/bin/python -m bench.export_district [--database-url URL] [--year YYYY]

Without --database-url, a temporary SQLite database is filled with the district demo
(~20,000 households, 4,000 cadres, ~200,000 visits) first. The export runs as its own
process (`flask relief export`) so its peak resident memory can be read afterwards.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--year", type=int)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="relief-export-"))
    url = args.database_url or f"sqlite:///{folder / 'district.db'}"
    env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_SECRET_KEY": "bench", "RELIEF_PASSWORD": "bench-password"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    if not args.database_url:
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        began = time.perf_counter()
        subprocess.run([*flask, "relief", "demo", "--scale", "district"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        print(f"district demo generated in {time.perf_counter() - began:.0f} s")
    from datetime import date

    year = args.year or date.today().year
    out = folder / "export.xlsx"
    done = subprocess.run([sys.executable, "-m", "bench.export_district", "--child", url, str(year), str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    print(done.stdout.strip())


def child(url: str, year: int, out: str) -> None:
    """Export in this process and report its own peak memory (the demo's process is not counted)."""
    from relief import create_app
    from relief.exports import services

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    began, cpu = time.perf_counter(), time.process_time()
    with app.app_context(), open(out, "wb") as fh:
        written = services.export(fh, services.Operator(), year, None)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(", ".join(f"{name} {n}" for name, n in written.items()))
    print(f"export of {year}: {time.perf_counter() - began:.1f} s wall, {time.process_time() - cpu:.1f} s CPU, "
          f"peak memory {peak_mb:.0f} MB, file {Path(out).stat().st_size / 1e6:.1f} MB")

if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
