"""WSGI entry point: gunicorn wsgi:app, or flask --app wsgi ..."""
import gc

from relief import create_app

app = create_app()
# What is loaded by now (modules, the app, SQLAlchemy's mappers) lives as long as the process:
# keep the cycle collector from walking it again on every full collection, which otherwise
# costs ~0.1 s inside whichever request happens to allocate many rows (a map, an export).
gc.freeze()
