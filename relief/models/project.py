"""Relief projects (帮扶项目) in villages and their progress updates."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relief.extensions import db

from .base import N_, LabelledEnum, enum_column, money_check, utcnow
from .org import Village
from .people import Cadre, User


class ProjectType(LabelledEnum):
    SANLAI_YIJIA = ("sanlai_yijia", N_("三来一加"))
    STANDARD_FACTORY = ("standard_factory", N_("标准厂房"))
    VILLAGE_ENTERPRISE = ("village_enterprise", N_("村企对接"))
    FARMING = ("farming", N_("特色种养"))
    SOLAR = ("solar", N_("光伏"))
    OTHER = ("other", N_("其他"))


class ProjectStatus(LabelledEnum):
    PLANNED = ("planned", N_("规划"))
    BUILDING = ("building", N_("在建"))
    COMPLETED = ("completed", N_("完工"))
    OPERATING = ("operating", N_("运营"))

    @property
    def is_under_way(self) -> bool:
        """Past planning (being built, completed or operating): its expected income counts toward
        the village's projected income."""
        return self is not ProjectStatus.PLANNED

    @classmethod
    def under_way(cls) -> tuple[ProjectStatus, ...]:
        return tuple(s for s in cls if s.is_under_way)

    @property
    def next(self) -> ProjectStatus | None:
        order = list(ProjectStatus)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Project(db.Model):
    __tablename__ = "project"
    __table_args__ = (
        money_check("funding_yuan"),
        money_check("expected_income_yuan"),
        money_check("actual_income_yuan"),
        sa.CheckConstraint("households_benefited >= 0", name="households_nonneg"),
        sa.CheckConstraint("people_benefited >= 0", name="people_nonneg"),
        sa.Index("ix_project_township_status", "township_id", "status"),
        sa.Index("ix_project_village", "village_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    type: Mapped[ProjectType] = mapped_column(enum_column(ProjectType))
    status: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus), default=ProjectStatus.PLANNED)
    responsible_cadre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    funding_source: Mapped[str] = mapped_column(sa.String(120), default="")
    funding_yuan: Mapped[int] = mapped_column(default=0)
    started_on: Mapped[date | None]
    finished_on: Mapped[date | None]
    #: expected yearly income to the village collective once running
    expected_income_yuan: Mapped[int] = mapped_column(default=0)
    #: actual yearly income to the village collective so far
    actual_income_yuan: Mapped[int] = mapped_column(default=0)
    households_benefited: Mapped[int] = mapped_column(default=0)
    people_benefited: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    village: Mapped[Village] = relationship()
    responsible_cadre: Mapped[Cadre | None] = relationship()
    updates: Mapped[list[ProjectUpdate]] = relationship(
        back_populates="project", order_by="ProjectUpdate.id.desc()", cascade="all, delete-orphan"
    )


class ProjectUpdate(db.Model):
    __tablename__ = "project_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"), index=True)
    on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    status_from: Mapped[ProjectStatus | None] = mapped_column(enum_column(ProjectStatus, name="status_from"))
    status_to: Mapped[ProjectStatus | None] = mapped_column(enum_column(ProjectStatus, name="status_to"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()
    photos: Mapped[list[ProjectPhoto]] = relationship(back_populates="update", cascade="all, delete-orphan")


class ProjectPhoto(db.Model):
    __tablename__ = "project_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(sa.ForeignKey("project_update.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(sa.String(32), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    update: Mapped[ProjectUpdate] = relationship(back_populates="photos")
