"""防返贫动态监测: the yearly income line, risk leads (风险线索), cases from home check to decision,
the measures (帮扶措施) taken for a monitored household, and a record of every step."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relief.extensions import db

from .base import N_, LabelledEnum, enum_column, utcnow
from .org import Township, Village
from .people import Cadre, Household, MonitorCategory, User
from .visit import Visit


class LeadSource(LabelledEnum):
    """Where a lead came from: the three national channels and relief's own rules."""

    SELF_REPORT = ("self_report", N_("农户自主申报"))
    VISIT = ("visit", N_("干部走访排查"))
    DEPARTMENT = ("department", N_("部门筛查预警"))
    INCOME_BELOW_LINE = ("income_below_line", N_("人均纯收入低于监测范围"))
    INCOME_DROP = ("income_drop", N_("人均纯收入大幅下降"))
    GUARANTEE_FAILED = ("guarantee_failed", N_("两不愁三保障未保障"))

    @property
    def is_automatic(self) -> bool:
        return self in AUTOMATIC_SOURCES


AUTOMATIC_SOURCES = (LeadSource.INCOME_BELOW_LINE, LeadSource.INCOME_DROP, LeadSource.GUARANTEE_FAILED)


class Department(LabelledEnum):
    """The offices whose lists feed 部门筛查预警."""

    MEDICAL_INSURANCE = ("medical_insurance", N_("医保"))
    CIVIL_AFFAIRS = ("civil_affairs", N_("民政"))
    DISABLED = ("disabled", N_("残联"))
    HOUSING = ("housing", N_("住建"))
    EMERGENCY = ("emergency", N_("应急"))
    OTHER = ("other", N_("其他"))


class RiskType(LabelledEnum):
    """风险类型, as the national monitoring system lists them."""

    ILLNESS = ("illness", N_("因病"))
    DISABILITY = ("disability", N_("因残"))
    SCHOOLING = ("schooling", N_("因学"))
    DISASTER = ("disaster", N_("因灾"))
    ACCIDENT = ("accident", N_("因意外事故"))
    BUSINESS_FAILED = ("business_failed", N_("因产业项目失败"))
    UNSTABLE_JOB = ("unstable_job", N_("因务工就业不稳"))
    NO_LABOUR = ("no_labour", N_("缺劳动力"))
    HOUSING = ("housing", N_("住房出现安全问题"))
    WATER = ("water", N_("饮水安全问题"))
    EXPENSES = ("expenses", N_("刚性支出较大或收入大幅缩减"))
    OTHER = ("other", N_("其他"))


class Difficulty(LabelledEnum):
    """The short list a household picks from on the self-report page (plus free text)."""

    ILLNESS = ("illness", N_("家人生病或受伤，医药费负担重"))
    DISASTER = ("disaster", N_("遭了灾（水灾、火灾、冰雹等）"))
    ACCIDENT = ("accident", N_("发生意外事故"))
    JOB_LOST = ("job_lost", N_("没了工作或收入大幅减少"))
    SCHOOLING = ("schooling", N_("孩子上学负担重"))
    HOUSING = ("housing", N_("住房不安全"))
    WATER = ("water", N_("吃水困难"))
    OTHER = ("other", N_("其他困难"))


class MonitorStep(LabelledEnum):
    """Where a lead or a case stands: a lead is `reported` until it is taken up as a case."""

    REPORTED = ("reported", N_("待受理"))
    VERIFYING = ("verifying", N_("入户核实"))
    PUBLIC_NOTICE = ("public_notice", N_("民主评议与公示"))
    TOWNSHIP_REVIEW = ("township_review", N_("乡镇审核"))
    DISTRICT_REVIEW = ("district_review", N_("区审定"))
    MONITORED = ("monitored", N_("纳入监测"))
    DISMISSED = ("dismissed", N_("不予纳入"))
    CLEARED = ("cleared", N_("风险消除"))

    @property
    def is_open(self) -> bool:
        """Not yet decided against, nor cleared: the household is being handled or watched."""
        return self not in (MonitorStep.DISMISSED, MonitorStep.CLEARED)

    @property
    def is_pending(self) -> bool:
        """A step with a deadline that someone must still carry out."""
        return self in PENDING_STEPS


#: the steps that someone must carry out by a due date, in their order
PENDING_STEPS = (MonitorStep.REPORTED, MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE,
                 MonitorStep.TOWNSHIP_REVIEW, MonitorStep.DISTRICT_REVIEW)
CASE_STEPS = PENDING_STEPS[1:]


class LeadStatus(LabelledEnum):
    OPEN = ("open", N_("待受理"))
    TAKEN = ("taken", N_("已受理"))
    DISMISSED = ("dismissed", N_("已排除"))


class MeasureKind(LabelledEnum):
    """帮扶措施."""

    INDUSTRY = ("industry", N_("产业"))
    EMPLOYMENT = ("employment", N_("就业"))
    HEALTH = ("health", N_("健康"))
    EDUCATION = ("education", N_("教育"))
    HOUSING = ("housing", N_("住房"))
    WATER = ("water", N_("饮水"))
    SOCIAL_SECURITY = ("social_security", N_("综合保障/兜底"))
    FINANCE = ("finance", N_("金融"))
    OTHER = ("other", N_("其他"))


class MonitorLine(db.Model):
    """监测范围: the yearly per-capita income under which a household is watched."""

    __tablename__ = "monitor_line"
    __table_args__ = (sa.CheckConstraint("yuan > 0", name="yuan_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    #: yuan per person per year
    yuan: Mapped[int]
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MonitorCase(db.Model):
    """One household's way from the home check to a decision and, when included, to 风险消除."""

    __tablename__ = "monitor_case"
    __table_args__ = (
        sa.CheckConstraint("step <> 'dismissed' OR dismiss_reason IS NOT NULL", name="dismissed_reason"),
        sa.CheckConstraint("step NOT IN ('monitored', 'cleared') OR "
                           "(category IS NOT NULL AND household_id IS NOT NULL AND included_on IS NOT NULL)",
                           name="monitored_complete"),
        sa.CheckConstraint("step <> 'reported'", name="case_step"),
        # one open case per household: a new lead joins it
        sa.Index("uq_monitor_case_open_household", "household_id", unique=True,
                 sqlite_where=sa.text("step NOT IN ('dismissed', 'cleared')"),
                 postgresql_where=sa.text("step NOT IN ('dismissed', 'cleared')")),
        sa.Index("ix_monitor_case_township_step", "township_id", "step", "step_due_on"),
        sa.Index("ix_monitor_case_holder_step", "holder_cadre_id", "step"),
        sa.Index("ix_monitor_case_household", "household_id"),
        sa.Index("ix_monitor_case_village_step", "village_id", "step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NULL while the household of a self-report is not on relief's roster; set at the home check
    #: when its ID number is found, or when the household is included (its row is created then)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    #: the head of household's name: the roster's, or as reported and then verified
    subject_name: Mapped[str] = mapped_column(sa.String(32))
    #: for a household not on the roster: its head's ID number and phone, entered at the home check
    subject_id_number: Mapped[str | None] = mapped_column(sa.String(18))
    subject_phone: Mapped[str | None] = mapped_column(sa.String(20))
    step: Mapped[MonitorStep] = mapped_column(enum_column(MonitorStep), default=MonitorStep.VERIFYING)
    #: when the current step began (UTC)
    step_began_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the deadline of the current step, in working days; NULL once decided
    step_due_on: Mapped[date | None]
    #: the cadre who carries out the current step (home check, notice); NULL for the reviews
    holder_cadre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cadre.id"))
    category: Mapped[MonitorCategory | None] = mapped_column(enum_column(MonitorCategory, name="case_category"))
    #: RiskType values
    risk_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    opened_on: Mapped[date]
    #: the day the district decided to include the household (纳入监测)
    included_on: Mapped[date | None]
    #: who made the decision (include or not), and when (UTC)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    #: why the household was not included (不予纳入)
    dismiss_reason: Mapped[str | None] = mapped_column(sa.Text)
    cleared_on: Mapped[date | None]
    cleared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household: Mapped[Household | None] = relationship()
    township: Mapped[Township] = relationship()
    village: Mapped[Village] = relationship()
    holder: Mapped[Cadre | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    measures: Mapped[list[Measure]] = relationship(back_populates="case", order_by="Measure.id")
    records: Mapped[list[StepRecord]] = relationship(back_populates="case", order_by="StepRecord.id")
    leads: Mapped[list[RiskLead]] = relationship(back_populates="case", order_by="RiskLead.id")

    @property
    def risks(self) -> list[RiskType]:
        return [r for r in RiskType if r.value in (self.risk_types or [])]

    def __repr__(self) -> str:
        return f"<MonitorCase {self.id} {self.step.value}>"


class RiskLead(db.Model):
    """A sign that a household may fall back, from one source, with its evidence."""

    __tablename__ = "risk_lead"
    __table_args__ = (
        sa.CheckConstraint("status <> 'dismissed' OR dismiss_reason IS NOT NULL", name="dismissed_reason"),
        sa.CheckConstraint("status <> 'taken' OR case_id IS NOT NULL", name="taken_case"),
        # one lead per household, source, cause and year (a dismissed one too: it does not come back);
        # each self-report is kept as sent
        sa.Index("uq_risk_lead_household_cause_year", "household_id", "source", "cause", "year", unique=True,
                 sqlite_where=sa.text("source <> 'self_report'"),
                 postgresql_where=sa.text("source <> 'self_report'")),
        sa.Index("ix_risk_lead_township_year", "township_id", "year", "source"),
        sa.Index("ix_risk_lead_assignee_status", "assignee_cadre_id", "status", "due_on"),
        sa.Index("ix_risk_lead_case", "case_id"),
        sa.Index("ix_risk_lead_household", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NULL for a self-report whose person relief could not find on its roster
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    source: Mapped[LeadSource] = mapped_column(enum_column(LeadSource))
    #: what the lead is about: the rule for automatic leads, the Department for a list,
    #: the RiskType for a visit, the Difficulty for a self-report
    cause: Mapped[str] = mapped_column(sa.String(24))
    #: the year it is about: the income's year for the income rules, else the year it was reported
    year: Mapped[int]
    #: what was found, by key (figures, the list's 说明, the sender's text), shown by the lead page
    evidence: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reported_on: Mapped[date]
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: a self-report's reference number, told to the sender
    reference: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    #: a self-report's name as sent, and its phone or ID number masked (the full one is never kept)
    reported_name: Mapped[str | None] = mapped_column(sa.String(32))
    reported_contact: Mapped[str | None] = mapped_column(sa.String(20))
    #: the cadre whose queue it is in: the household's paired cadre, else the village's stationed cadre
    assignee_cadre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cadre.id"))
    #: the home check is due by then (working days after it was reported)
    due_on: Mapped[date]
    status: Mapped[LeadStatus] = mapped_column(enum_column(LeadStatus), default=LeadStatus.OPEN)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("monitor_case.id"))
    dismiss_reason: Mapped[str | None] = mapped_column(sa.Text)
    dismissed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    dismissed_on: Mapped[date | None]
    #: the visit that found it (source visit)
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visit.id"))
    #: who entered it: the cadre's or admin's login; NULL for rules and self-reports
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    household: Mapped[Household | None] = relationship()
    township: Mapped[Township] = relationship()
    village: Mapped[Village] = relationship()
    assignee: Mapped[Cadre | None] = relationship()
    case: Mapped[MonitorCase | None] = relationship(back_populates="leads")
    visit: Mapped[Visit | None] = relationship()

    @property
    def step(self) -> MonitorStep:
        """The lead's step as the API reports it: its case's, or reported/dismissed before one."""
        if self.case is not None:
            return self.case.step
        return MonitorStep.DISMISSED if self.status is LeadStatus.DISMISSED else MonitorStep.REPORTED

    def __repr__(self) -> str:
        return f"<RiskLead {self.id} {self.source.value}:{self.cause}>"


class StepRecord(db.Model):
    """One step carried out on a case: who, when, what was found. Never changed afterwards."""

    __tablename__ = "monitor_step_record"
    __table_args__ = (sa.Index("ix_monitor_step_record_case", "case_id", "id"),
                      sa.Index("ix_monitor_step_record_done", "done_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("monitor_case.id"))
    #: the step carried out
    step: Mapped[MonitorStep] = mapped_column(enum_column(MonitorStep, name="record_step"))
    #: passed (on to the next step), rejected (不予纳入), included, cleared, measure, assigned, opened
    outcome: Mapped[str] = mapped_column(sa.String(16))
    #: when the step began (UTC) and its deadline
    began_at: Mapped[datetime]
    due_on: Mapped[date | None]
    #: when it was recorded (UTC), and the day it says it was done (the home check's date, ...)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_on: Mapped[date]
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    #: kept as text so the record survives a renamed user ("cli" for the command line)
    username: Mapped[str] = mapped_column(sa.String(64))
    #: what was found, by key (checks, members, notice dates, ...)
    findings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str | None] = mapped_column(sa.Text)

    case: Mapped[MonitorCase] = relationship(back_populates="records")


class Measure(db.Model):
    """帮扶措施 for a monitored household, with its responsible cadre."""

    __tablename__ = "monitor_measure"
    __table_args__ = (sa.CheckConstraint("done_on IS NULL OR done_on >= started_on", name="done_after_start"),
                      sa.Index("ix_monitor_measure_case", "case_id"),
                      sa.Index("ix_monitor_measure_cadre", "cadre_id", "done_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("monitor_case.id"))
    #: copied from the case so township figures read one index
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"))
    kind: Mapped[MeasureKind] = mapped_column(enum_column(MeasureKind))
    #: what is done, e.g. 申请大病救助, 公益性岗位
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the cadre responsible for carrying it out
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"))
    started_on: Mapped[date]
    #: when it was carried out (落实); NULL while under way
    done_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[MonitorCase] = relationship(back_populates="measures")
    cadre: Mapped[Cadre] = relationship()
