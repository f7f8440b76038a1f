"""Call-backs (回访): the district office phones a monthly sample of paired households."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relief.extensions import db

from .base import N_, LabelledEnum, enum_column, utcnow
from .people import Cadre, Household


class Answer(LabelledEnum):
    YES = ("yes", N_("是"))
    NO = ("no", N_("否"))
    UNSURE = ("unsure", N_("不清楚"))


class Satisfaction(LabelledEnum):
    SATISFIED = ("satisfied", N_("满意"))
    MOSTLY = ("mostly", N_("基本满意"))
    UNSATISFIED = ("unsatisfied", N_("不满意"))

    @property
    def is_content(self) -> bool:
        """满意 or 基本满意: what the satisfaction rate counts (of the households that answered)."""
        return self in (Satisfaction.SATISFIED, Satisfaction.MOSTLY)

    @classmethod
    def content(cls) -> tuple[Satisfaction, ...]:
        return tuple(s for s in cls if s.is_content)


class Callback(db.Model):
    """One sampled household in one month and, once phoned, what it said."""

    __tablename__ = "callback"
    __table_args__ = (
        sa.UniqueConstraint("month", "household_id"),
        sa.Index("ix_callback_month_township", "month", "township_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the sampling month as YYYY-MM
    month: Mapped[str] = mapped_column(sa.String(7))
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"))
    #: the cadre paired with the household when it was drawn
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"))
    seed: Mapped[int]
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_at: Mapped[datetime | None]
    caller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reached: Mapped[bool | None]
    cadre_visited: Mapped[Answer | None] = mapped_column(enum_column(Answer, name="cadre_visited"))
    visits_claimed: Mapped[int | None]
    demand_resolved: Mapped[Answer | None] = mapped_column(enum_column(Answer, name="demand_resolved"))
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_column(Satisfaction))
    remark: Mapped[str | None] = mapped_column(sa.Text)

    household: Mapped[Household] = relationship()
    cadre: Mapped[Cadre] = relationship()
