"""What the monitoring services refuse, as typed errors the views map to HTTP codes."""
from __future__ import annotations


class MonitoringError(ValueError):
    """A request the user can fix (422): the message says what to change; `fields` by form field."""

    def __init__(self, message: str = "", fields: dict[str, str] | None = None):
        self.fields = fields or {}
        super().__init__(message or "；".join(self.fields.values()))


class NotAllowed(PermissionError):
    """The user may see the lead or case but not take this step (403)."""


class ClearRefused(Exception):
    """风险消除 refused: one Problem per unmet condition (422)."""

    def __init__(self, problems: list):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
