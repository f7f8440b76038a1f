"""Pairings: the list, creating, ending and transferring, the norm violations, stationed attendance
and the contact cards (便民联系卡), all on one blueprint.

The blueprint is defined here and its routes live in views, attendance_views and card_views, which
import it from here and not from each other (so no import cycle), as microblog's app/main does.
"""
from flask import Blueprint

from relief.models import Role

bp = Blueprint("pairings", __name__, url_prefix="/pairings")

#: who may read the pairing pages, and who may change pairings and attendance
READERS = (Role.ADMIN, Role.LEADER, Role.INSPECTOR)
WRITERS = (Role.ADMIN, Role.LEADER)

from . import attendance_views, card_views, views  # noqa: E402,F401  (the routes on bp)
