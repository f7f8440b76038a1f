"""The domain model; import models from here."""
from .audit import AuditEvent
from .base import LabelledEnum, utcnow
from .callback import Answer, Callback, Satisfaction
from .income import IncomeTarget, VillageIncome
from .org import Township, Unit, Village
from .pairing import Attendance, Pairing, PairingKind, StationRole
from .people import (
    CHECKS,
    ApiToken,
    Cadre,
    Household,
    HouseholdIncome,
    HouseholdStatus,
    MonitorCategory,
    PovertyCause,
    Rank,
    Role,
    User,
    UserSession,
)
from .monitoring import (
    AUTOMATIC_SOURCES,
    CASE_STEPS,
    PENDING_STEPS,
    Department,
    Difficulty,
    LeadSource,
    LeadStatus,
    Measure,
    MeasureKind,
    MonitorCase,
    MonitorLine,
    MonitorStep,
    RiskLead,
    RiskType,
    StepRecord,
)
from .ratelimit import RateLimitCounter
from .project import Project, ProjectPhoto, ProjectStatus, ProjectType, ProjectUpdate
from .version import DataVersion, TownshipDelta
from .visit import Demand, DemandStatus, Visit, VisitKind, VisitPhoto

__all__ = [name for name in dir() if not name.startswith("_")]
