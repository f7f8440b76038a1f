"""Counters of the sign-in limits when no Redis is configured (relief.ratelimit)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from relief.extensions import db


class RateLimitCounter(db.Model):
    """One fixed window of one limit: every app process counts in the same row."""

    __tablename__ = "rate_limit"

    #: the limiter's key: the limit, the endpoint and whose attempts (an address, a username)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    #: when the window ends, in seconds since the epoch
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)
