"""Visits: the visit form (online and offline), a visit's page and photos, the list of visits,
holiday coverage and the service worker, all on one blueprint.

The blueprint is defined here and its routes live in views and list_views, which import it from
here and not from each other (so no import cycle).
"""
from flask import Blueprint

bp = Blueprint("visits", __name__)

from . import list_views, views  # noqa: E402,F401  (the routes on bp)
