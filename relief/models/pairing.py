"""Who is paired with whom: the four kinds of 结对, and stationed cadres' attendance."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relief.extensions import db

from .base import N_, LabelledEnum, enum_column, utcnow
from .org import Township, Village
from .people import Cadre, Household, User


class PairingKind(LabelledEnum):
    HOUSEHOLD = ("household", N_("户结对"))
    LINK = ("link", N_("挂钩"))  # a district leader linked to a weak village
    STATIONED = ("stationed", N_("驻村"))  # the cadre stationed in the village
    TEAM = ("team", N_("驻村工作队"))  # the stationed cadre's support team from the same unit

    @property
    def is_stationed(self) -> bool:
        """The cadre lives in the village: the pairing has a station role and keeps attendance."""
        return self in (PairingKind.STATIONED, PairingKind.TEAM)

    @property
    def with_village(self) -> bool:
        """Paired with a village rather than a household."""
        return self is not PairingKind.HOUSEHOLD

    @classmethod
    def stationed_kinds(cls) -> tuple[PairingKind, ...]:
        return tuple(k for k in cls if k.is_stationed)


class StationRole(LabelledEnum):
    FIRST_SECRETARY = ("first_secretary", N_("第一书记"))
    TEAM_LEADER = ("team_leader", N_("工作队长"))
    MEMBER = ("member", N_("队员"))


class Pairing(db.Model):
    """A cadre with a household or a village from started_on until ended_on; never overwritten."""

    __tablename__ = "pairing"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'household') = (household_id IS NOT NULL)", name="household_only_for_household_kind"
        ),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        sa.Index("ix_pairing_cadre_active", "cadre_id", "ended_on"),
        sa.Index("ix_pairing_household_active", "household_id", "ended_on"),
        sa.Index("ix_pairing_village_kind", "village_id", "kind", "ended_on"),
        sa.Index("ix_pairing_township_kind", "township_id", "kind", "ended_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PairingKind] = mapped_column(enum_column(PairingKind))
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"))
    #: set for household pairings only
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    #: always set: the household's village, or the linked/stationed village
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"))
    role: Mapped[StationRole | None] = mapped_column(enum_column(StationRole))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cadre: Mapped[Cadre] = relationship()
    household: Mapped[Household | None] = relationship()
    village: Mapped[Village] = relationship()
    township: Mapped[Township] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    def __repr__(self) -> str:
        return f"<Pairing {self.kind.value} cadre={self.cadre_id}>"


class Attendance(db.Model):
    """Days a stationed cadre or team member spent in the village in one month."""

    __tablename__ = "attendance"
    __table_args__ = (
        sa.UniqueConstraint("pairing_id", "year", "month"),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        sa.CheckConstraint("days BETWEEN 0 AND 31", name="days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(sa.ForeignKey("pairing.id"))
    year: Mapped[int]
    month: Mapped[int]
    days: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    pairing: Mapped[Pairing] = relationship()
