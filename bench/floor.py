"""The floor of `make bench`: a bare Flask app with one route answering what relief's /healthz
answers. Served by gunicorn with the same settings as relief, it is what no page of relief can beat:
every figure is also reported as a fraction of its throughput, measured in the same run.

    gunicorn --workers 2 bench.floor:app
"""
from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
