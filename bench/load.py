"""HTTP load against gunicorn with wrk: throughput and latency percentiles per endpoint."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

POST_VISIT_LUA = r"""
-- every request a new visit with a fresh client_uuid, for the cadre's own households. Each of wrk's
-- threads runs this in a Lua state of its own: seeded alike, they would send the same client_uuids,
-- and every other request would be a resend (200), not a new visit (201)
local counter = 0
local households = {%(households)s}
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + %(seed)d * 100 + thread_no)
  not_created = 0
end
local function uuid()
  local t = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(t, "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%%x", v) end))
end
request = function()
  counter = counter + 1
  local hid = households[(counter %% #households) + 1]
  local body = string.format('{"client_uuid":"%%s","household_id":%%d,"visited_on":"%(day)s","kind":"routine","notes":"压力测试走访 %%d"}',
                             uuid(), hid, counter)
  return wrk.format("POST", "/api/v1/visits", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer %(token)s"}, body)
end
response = function(status, headers, body)
  if status ~= 201 then not_created = not_created + 1 end
end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_created") end
  io.write(string.format("NOT_CREATED %%d\n", total))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(database_url: str | None, workers: int = 2, extra_env: dict | None = None, app: str = "wsgi:app"):
    """Start gunicorn on 127.0.0.1 with `workers` sync workers serving `app` (relief, or the bare
    floor app `bench.floor:app`, under the same settings); yields the base URL."""
    port = free_port()
    env = {**os.environ, "RELIEF_DATABASE_URL": database_url or "", "RELIEF_SECRET_KEY": "bench-secret",
           "RELIEF_LOGIN_LIMIT_PER_USER": "100000 per minute", "RELIEF_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
           "RELIEF_TILE_URL": "none", **(extra_env or {})}
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                             "--log-level", "warning", app], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not start; see {log.name}")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def session_cookie(base: str, username: str, password: str) -> str:
    s = requests.Session()
    html = s.get(base + "/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = s.post(base + "/login", data={"username": username, "password": password, "csrf_token": token},
               allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {r.status_code}")
    # the first page after sign-in gives the session its CSRF secret (a new cookie), which a
    # browser keeps: without it every request would make a new secret and a new cookie
    s.get(base + "/", timeout=60)
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def api_token(base: str, username: str, password: str) -> str:
    r = requests.post(base + "/api/v1/token", json={"username": username, "password": password})
    r.raise_for_status()
    return r.json()["token"]


def _ms(text: str | None) -> float | None:
    """A wrk duration (850.00us, 12.5ms, 1.20s, 1.01m) in milliseconds; None when wrk printed none."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text or "")
    if m is None:
        return None
    value, unit = float(m.group(1)), m.group(2)
    return round(value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit], 2)


def wrk(url: str, *, seconds: int = 10, connections: int = 16, threads: int = 2, headers: dict | None = None,
        script: str | None = None) -> dict:
    """Run wrk and return requests/s, p50/p99 in ms, and non-2xx/3xx counts."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    lua = None
    if script:
        lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        lua.write(script)
        lua.close()
        cmd += ["-s", lua.name]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    if lua:
        os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    # the latency distribution's lines ("     50%   12.30ms"), not a percentage ending in 50% elsewhere
    p50 = _ms(next(iter(re.findall(r"^\s*50%\s+(\S+)", out, re.M)), None))
    p99 = _ms(next(iter(re.findall(r"^\s*99%\s+(\S+)", out, re.M)), None))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    not_created = re.search(r"^NOT_CREATED (\d+)", out, re.M)  # the visit script's answers other than 201
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "requests": total,
            "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else "",
            "not_created": int(not_created.group(1)) if not_created else None,
            "raw": out.strip().splitlines()[-3:]}


def clean(result: dict) -> bool:
    """A wrk run with no error answer, no socket error and (the visit script) every visit new."""
    return result["non_2xx"] == 0 and not result["socket_errors"] and not result.get("not_created")


def post_visits_script(token: str, households: list[int], day: str, seed: int = 1) -> str:
    return POST_VISIT_LUA % {"households": ",".join(map(str, households)), "token": token, "day": day,
                             "seed": seed}


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
