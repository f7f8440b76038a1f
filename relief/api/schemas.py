"""Request and response models of /api/v1; openapi.json is generated from them by spectree."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from relief.models import HouseholdStatus
from relief.visits.schemas import DemandIn, DemandOut, PhotoOut, ResolvedIn, VisitIn, VisitOut  # noqa: F401


class TokenIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer TOKEN`")
    expires_in_days: int


class HouseholdOut(BaseModel):
    id: int
    name: str = Field(description="户主姓名")
    village: str
    township: str
    village_id: int
    status: HouseholdStatus
    paired_on: date
    last_visit: date | None
    due: str = Field(description="ok, due (more than VISIT_DUE_DAYS without a visit) or overdue (twice that)",
                     pattern="^(ok|due|overdue)$")


class ProgressQuery(BaseModel):
    year: int | None = Field(None, ge=2000, le=2100, description="defaults to this year")


class VillageProgressOut(BaseModel):
    id: int
    name: str
    township: str
    income_yuan: int
    target_yuan: int
    progress: float = Field(description="income / target")


class ErrorOut(BaseModel):
    error: str
    status: int
    detail: str | None = None
    #: 422 only: a Chinese message per bad field ("visited_on", "demands.0.deadline", ...)
    fields: dict[str, str] | None = None
    #: "csrf" when a browser call lacked a valid X-CSRFToken; "login" when not signed in
    code: str | None = None


def api_field_errors(exc: ValidationError) -> dict[str, str]:
    """Chinese messages for the small request models (token, query strings)."""
    labels = {"username": _("用户名"), "password": _("密码"), "year": _("年度")}
    out = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "__all__"
        label = labels.get(str(err["loc"][-1]) if err["loc"] else "", key)
        if key == "__all__" or err["type"] == "model_attributes_type":
            out["__all__"] = _("请求体应为 JSON 对象，如 {\"username\": \"…\", \"password\": \"…\"}")
        elif err["type"] == "missing" or err["type"] == "string_too_short":
            out[key] = _("请填写%(label)s", label=label)
        elif key == "year":
            out[key] = _("年度应为 2000 到 2100 之间的整数，如 2024")
        else:
            out[key] = _("%(label)s的格式不正确", label=label)
    return out


class FlagsQuery(BaseModel):
    year: int | None = Field(None, ge=2000, le=2100, description="the year of the claimed visit dates; defaults to this year")


class ReusedPhotoOut(BaseModel):
    photo_id: int = Field(description="this visit's photo")
    earlier_photo_id: int = Field(description="the photo stored before whose picture it repeats")
    earlier_visit_id: int
    earlier_household_id: int | None = Field(description="null for a visit to a village")
    earlier_village_id: int
    earlier_visited_on: date
    distance: int = Field(description="how many of the 64 bits of the two pictures' pHash differ")


class PhotoDateOut(BaseModel):
    photo_id: int
    taken_at: datetime = Field(description="the capture time the photo itself gives (EXIF), in China time (+08:00)")
    visited_on: date = Field(description="the date the visit claims")
    days_apart: int


class FlagOut(BaseModel):
    visit_id: int
    client_uuid: str
    reasons: list[Literal["late_record", "far_from_village", "burst", "copied_notes", "reused_photo",
                          "photo_date_mismatch"]] = Field(
        description="late_record: recorded more than 7 days after the claimed date; far_from_village: GPS more "
                    "than 5 km from the village; burst: 5+ visits recorded by one cadre within 10 minutes; "
                    "copied_notes: the same notes of 15+ characters on 3+ visits; reused_photo: a photo whose "
                    "picture matches one already attached to a visit of another household or another day; "
                    "photo_date_mismatch: a photo taken more than 3 days from the claimed date "
                    "(thresholds configurable)")
    distance_km: float | None = Field(None, description="GPS distance to the village when far_from_village")
    reused_photos: list[ReusedPhotoOut] = Field([], description="the evidence of reused_photo")
    photo_dates: list[PhotoDateOut] = Field([], description="the evidence of photo_date_mismatch")
