"""What a self-report may contain, and the monitoring API's answers: pydantic models shared by the
public page, the JSON API and its OpenAPI description. Bad fields get a Chinese message each."""
from __future__ import annotations

from datetime import date
from typing import Literal

from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from relief.dates import today
from relief.ids import id_number_error, normalise, phone_error
from relief.models import Difficulty, LeadSource, MonitorStep

NAME_MAX, TEXT_MAX = 32, 500


class SelfReportIn(BaseModel):
    """农户自主申报: who, where, and what is wrong. Township and village by name or id."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=NAME_MAX, description="the name of the person reporting")
    phone: str | None = Field(None, description="a mobile or landline number (this or id_number)")
    id_number: str | None = Field(None, description="an 18-character resident ID number (this or phone)")
    township: str = Field(min_length=1, max_length=64, description="乡镇, by name or id")
    village: str = Field(min_length=1, max_length=64, description="村, by name or id")
    difficulty: Difficulty
    text: str = Field("", max_length=TEXT_MAX, description="in the sender's own words")

    @field_validator("township", "village", mode="before")
    @classmethod
    def _place(cls, value):
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = normalise(value).replace("-", "") if isinstance(value, str) else value
        if not isinstance(text, str) or phone_error(text):
            raise ValueError("phone")
        return text

    @field_validator("id_number", mode="before")
    @classmethod
    def _id_number(cls, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise ValueError("id_type")  # noqa: TRY004 - pydantic reports a ValueError as the field's error
        text = normalise(value)
        if problem := id_number_error(text, today()):
            raise ValueError(f"id:{problem}")
        return text

    @model_validator(mode="after")
    def _contact(self):
        if not self.phone and not self.id_number:
            raise ValueError("contact")
        return self


def _labels() -> dict[str, str]:
    return {"name": _("姓名"), "phone": _("联系电话"), "id_number": _("身份证号"), "township": _("乡镇"),
            "village": _("村"), "difficulty": _("困难类型"), "text": _("具体情况")}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{"phone": "联系电话应为…"}: one Chinese message per bad field."""
    out: dict[str, str] = {}
    labels = _labels()
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if not loc:
            out.setdefault("phone", _("请填写联系电话或身份证号（至少一项），方便干部联系您"))
            continue
        key = loc[0]
        if key in out:
            continue
        label = labels.get(key, key)
        kind, ctx = err["type"], err.get("ctx") or {}
        message = str(ctx.get("error", ""))
        if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
            out[key] = _("请填写%(label)s", label=label)
        elif kind == "string_too_long":
            out[key] = _("%(label)s太长，最多 %(n)d 个字", label=label, n=ctx.get("max_length", 0))
        elif key == "phone":
            out[key] = _("联系电话应为11位手机号或带区号的固话")
        elif key == "id_number":
            out[key] = message.removeprefix("id:") if message.startswith("id:") else _("身份证号应为18位")
        elif key == "difficulty":
            out[key] = _("请从列出的困难中选择一项")
        else:
            out[key] = _("%(label)s的格式不正确", label=label)
    return out


class SelfReportOut(BaseModel):
    reference: str = Field(description="the reference number to quote; the same answer whoever sent it")


class LeadsQuery(BaseModel):
    year: int | None = Field(None, ge=2000, le=2100, description="the year the leads are about; defaults to this year")


class LeadOut(BaseModel):
    id: int
    household_id: int | None = Field(description="null for a self-report of a person not on relief's roster")
    case_id: int | None = Field(description="null until the lead is taken up as a case")
    source: LeadSource = Field(description="self_report, visit, department, income_below_line, income_drop, "
                                           "guarantee_failed")
    cause: str = Field(description="the rule, the department, the risk type or the difficulty")
    year: int
    step: MonitorStep = Field(description="reported, verifying, public_notice, township_review, district_review, "
                                          "monitored, dismissed, cleared")
    due_on: date | None = Field(description="the deadline of the step it is at; null once decided")
    reported_on: date
    village_id: int
    township_id: int


class ClearIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    note: str = Field("", max_length=1000)


class ClearOut(BaseModel):
    case_id: int
    step: Literal["cleared"]
    cleared_on: date


class UnmetOut(BaseModel):
    rule: str = Field(description="months, income, measure, guarantee, working_age, social_security or step")
    message: str


class ClearRefusedOut(BaseModel):
    error: str
    status: int
    #: one per unmet condition of 风险消除
    problems: list[UnmetOut]
    fields: dict[str, str] | None = None
