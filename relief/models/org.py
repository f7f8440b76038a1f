"""Townships, villages and the district's units (departments)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relief.extensions import db

from .base import N_, LabelledEnum, enum_column, money_check, utcnow


class CoordSystem(LabelledEnum):
    """The coordinate system a village's position was typed in; relief stores WGS-84 whatever it was."""

    WGS84 = ("wgs84", N_("WGS-84（GPS、天地图）"))  # 天地图's CGCS2000 is within a metre of WGS-84
    GCJ02 = ("gcj02", N_("GCJ-02（高德、腾讯地图）"))
    BD09 = ("bd09", N_("BD-09（百度地图）"))

    @property
    def short(self) -> str:
        return {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}[self.value]


class Township(db.Model):
    __tablename__ = "township"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)

    villages: Mapped[list[Village]] = relationship(back_populates="township", order_by="Village.name")

    def __repr__(self) -> str:
        return f"<Township {self.name}>"


class Village(db.Model):
    __tablename__ = "village"
    __table_args__ = (
        sa.UniqueConstraint("township_id", "name"),
        money_check("target_yuan"),
        sa.CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        sa.CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
        sa.Index("ix_village_weak_township", "is_weak", "township_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    #: 经济薄弱村: its collective income is tracked against a yearly target
    is_weak: Mapped[bool] = mapped_column(default=False)
    #: WGS-84, whatever system the numbers were typed in (coord_system)
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    #: the system lat/lng were entered in, before they were converted to WGS-84
    coord_system: Mapped[CoordSystem] = mapped_column(enum_column(CoordSystem), default=CoordSystem.WGS84,
                                                      server_default=CoordSystem.WGS84.value)
    #: overrides the yearly default target for this village, every year
    target_yuan: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    township: Mapped[Township] = relationship(back_populates="villages")

    @property
    def full_name(self) -> str:
        return f"{self.township.name}{self.name}"

    def __repr__(self) -> str:
        return f"<Village {self.name}>"


class Unit(db.Model):
    """A district department (单位) that cadres belong to."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"
