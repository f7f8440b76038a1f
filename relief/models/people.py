"""Cadres, the logins that act for them, and the households they help."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relief.extensions import db

from .base import N_, LabelledEnum, enum_column, money_check, utcnow
from .org import Township, Unit, Village


class Rank(LabelledEnum):
    DISTRICT_LEADER = ("district_leader", N_("区级领导"))
    SECTION = ("section", N_("科级"))
    GENERAL = ("general", N_("一般干部"))


class Cadre(db.Model):
    __tablename__ = "cadre"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: 职务, free text such as 副局长
    title: Mapped[str] = mapped_column(sa.String(64), default="")
    rank: Mapped[Rank] = mapped_column(enum_column(Rank), default=Rank.GENERAL)
    #: mobile number, 11 digits; identifies the cadre in imports
    phone: Mapped[str] = mapped_column(sa.String(11), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return f"<Cadre {self.name}>"


class Role(LabelledEnum):
    ADMIN = ("admin", N_("区扶贫办管理员"))
    LEADER = ("leader", N_("乡镇领导"))
    CADRE = ("cadre", N_("帮扶干部"))
    INSPECTOR = ("inspector", N_("督查"))


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("role <> 'leader' OR township_id IS NOT NULL", name="leader_township"),
        sa.CheckConstraint("role <> 'cadre' OR cadre_id IS NOT NULL", name="cadre_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    #: a leader's township; NULL means the whole district
    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("township.id"))
    #: the cadre a cadre login acts for
    cadre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cadre.id"), unique=True)
    #: False ends every session and token of the user
    active: Mapped[bool] = mapped_column(default=True)
    #: set when an admin chose the password on the web; cleared at the next change
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    township: Mapped[Township | None] = relationship()
    cadre: Mapped[Cadre | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def can_write(self) -> bool:
        return self.role is not Role.INSPECTOR

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class UserSession(db.Model):
    """A signed-in browser; the cookie holds only its id, so logout can end it here."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(sa.String(64))


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class PovertyCause(LabelledEnum):
    ILLNESS = ("illness", N_("因病"))
    DISABILITY = ("disability", N_("因残"))
    SCHOOLING = ("schooling", N_("因学"))
    DISASTER = ("disaster", N_("因灾"))
    NO_SKILLS = ("no_skills", N_("缺技术"))
    NO_LABOUR = ("no_labour", N_("缺劳力"))
    NO_FUNDS = ("no_funds", N_("缺资金"))
    NO_LAND = ("no_land", N_("缺土地"))
    NO_DRIVE = ("no_drive", N_("自身发展动力不足"))
    OTHER = ("other", N_("其他"))


class HouseholdStatus(LabelledEnum):
    POOR = ("poor", N_("贫困"))
    LIFTED = ("lifted", N_("已脱贫"))
    MONITORED = ("monitored", N_("监测户"))

    @property
    def needs_cadre(self) -> bool:
        """Poor or monitored: the household must have an active cadre (DESIGN.md rule 1)."""
        return self in (HouseholdStatus.POOR, HouseholdStatus.MONITORED)

    @classmethod
    def needing(cls) -> tuple[HouseholdStatus, ...]:
        return tuple(s for s in cls if s.needs_cadre)


class MonitorCategory(LabelledEnum):
    UNSTABLE = ("unstable", N_("脱贫不稳定户"))
    MARGINAL = ("marginal", N_("边缘易致贫户"))
    SUDDEN = ("sudden", N_("突发严重困难户"))


#: 两不愁三保障: the five checks, in the order they are shown
CHECKS = (
    ("check_food_clothing", N_("不愁吃、不愁穿")),
    ("check_education", N_("义务教育有保障")),
    ("check_medical", N_("基本医疗有保障")),
    ("check_housing", N_("住房安全有保障")),
    ("check_water", N_("饮水安全有保障")),
)


class Household(db.Model):
    __tablename__ = "household"
    __table_args__ = (
        sa.CheckConstraint("members >= 1", name="members_positive"),
        sa.CheckConstraint("status <> 'lifted' OR lifted_year IS NOT NULL", name="lifted_year"),
        sa.CheckConstraint("status <> 'monitored' OR monitor_category IS NOT NULL", name="monitor_category"),
        sa.Index("ix_household_township_status", "township_id", "status"),
        sa.Index("ix_household_village_name", "village_id", "head_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: kept beside village_id so township-wide lists need no join
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    head_name: Mapped[str] = mapped_column(sa.String(32))
    #: 18-character resident ID, checked by GB 11643; shown masked
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    members: Mapped[int] = mapped_column(default=1)
    cause: Mapped[PovertyCause] = mapped_column(enum_column(PovertyCause), default=PovertyCause.OTHER)
    status: Mapped[HouseholdStatus] = mapped_column(enum_column(HouseholdStatus), default=HouseholdStatus.POOR)
    lifted_year: Mapped[int | None]
    monitor_category: Mapped[MonitorCategory | None] = mapped_column(enum_column(MonitorCategory))
    monitor_identified_on: Mapped[date | None]
    monitor_cleared_on: Mapped[date | None]
    check_food_clothing: Mapped[bool | None]
    check_education: Mapped[bool | None]
    check_medical: Mapped[bool | None]
    check_housing: Mapped[bool | None]
    check_water: Mapped[bool | None]
    #: the date the five checks were last verified
    checks_on: Mapped[date | None]
    #: members able to work (劳动力), as counted at the last 防返贫 home check; NULL until then
    working_age_members: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    township: Mapped[Township] = relationship()
    village: Mapped[Village] = relationship()
    incomes: Mapped[list[HouseholdIncome]] = relationship(
        back_populates="household", order_by="HouseholdIncome.year", cascade="all, delete-orphan"
    )

    @property
    def needs_cadre(self) -> bool:
        return self.status.needs_cadre

    def __repr__(self) -> str:
        return f"<Household {self.head_name}>"


class HouseholdIncome(db.Model):
    """人均纯收入 of a household for one year."""

    __tablename__ = "household_income"
    __table_args__ = (sa.UniqueConstraint("household_id", "year"), money_check("per_capita_yuan"))

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id", ondelete="CASCADE"))
    year: Mapped[int]
    per_capita_yuan: Mapped[int]

    household: Mapped[Household] = relationship(back_populates="incomes")
