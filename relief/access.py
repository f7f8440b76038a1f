"""Role checks for views. Row visibility is relief.scope's job."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from relief.models import Role


def roles_required(*roles: Role):
    """Allow only the given roles; others get 403 (the page exists, but not for them)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def writers_only(view):
    """Inspectors are read-only."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_write:
            abort(403)
        return view(*args, **kwargs)
    return wrapped
