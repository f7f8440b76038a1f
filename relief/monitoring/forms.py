"""The case page's forms: parse what was posted into the services' inputs, with a message per field.

Each parse_* returns (value, {}) or (None, {field: message}); the services check the rest."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from relief.models import CHECKS, MeasureKind, MonitorCategory, RiskType

from .cases import Decision, HomeCheck, MeasureIn, Notice


class _Problems(dict):
    def date(self, form, name: str, label: str, required: bool = True) -> date | None:
        raw = (form.get(name) or "").strip()
        if not raw:
            if required:
                self[name] = _("请填写%(label)s", label=label)
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self[name] = _("%(label)s应为日期，格式如 2025-03-01", label=label)
            return None

    def whole(self, form, name: str, label: str, low: int, high: int, required: bool = True) -> int | None:
        raw = (form.get(name) or "").strip().replace(",", "").replace("，", "")
        if not raw:
            if required:
                self[name] = _("请填写%(label)s", label=label)
            return None
        if not raw.isdecimal() or len(raw) > 9 or not low <= int(raw) <= high:
            self[name] = _("%(label)s应为 %(lo)d 到 %(hi)d 之间的整数", label=label, lo=low, hi=high)
            return None
        return int(raw)

    def choice(self, form, name: str, enum_cls, label: str, required: bool = True):
        raw = (form.get(name) or "").strip()
        member = next((m for m in enum_cls if m.value == raw), None)
        if member is None and (raw or required):
            self[name] = _("请选择%(label)s", label=label)
        return member

    def yes_no(self, form, name: str, label: str) -> bool | None:
        raw = form.get(name)
        if raw not in ("yes", "no"):
            self[name] = _("请选择%(label)s", label=label)
            return None
        return raw == "yes"

    def text(self, form, name: str, limit: int) -> str:
        value = (form.get(name) or "").strip()
        if len(value) > limit:
            self[name] = _("最多 %(n)d 个字", n=limit)
        return value


def parse_home_check(form) -> tuple[HomeCheck | None, dict]:
    p = _Problems()
    done_on = p.date(form, "done_on", _("核实日期"))
    checks = {}
    for name, label in CHECKS:
        value = p.yes_no(form, name, _(label))
        if value is not None:
            checks[name] = value
    members = p.whole(form, "members", _("家庭人口"), 1, 20)
    working = p.whole(form, "working_age_members", _("劳动力人数"), 0, 20)
    income = p.whole(form, "income_yuan", _("人均纯收入"), 0, 10_000_000, required=False)
    income_year = p.whole(form, "income_year", _("收入年度"), 2000, 2100, required=False)
    at_risk = p.yes_no(form, "at_risk", _("核实结论"))
    notes, reason = p.text(form, "notes", 2000), p.text(form, "reason", 1000)
    if p:
        return None, dict(p)
    return HomeCheck(done_on=done_on, checks=checks, members=members, working_age_members=working, notes=notes,
                     at_risk=at_risk, reason=reason, income_yuan=income, income_year=income_year,
                     id_number=(form.get("id_number") or "").strip() or None,
                     phone=(form.get("phone") or "").strip() or None), {}


def parse_notice(form) -> tuple[Notice | None, dict]:
    p = _Problems()
    reviewed = p.date(form, "reviewed_on", _("评议日期"))
    start, end = p.date(form, "notice_from", _("公示开始日期")), p.date(form, "notice_to", _("公示结束日期"))
    passed = p.yes_no(form, "passed", _("评议和公示结果"))
    note = p.text(form, "note", 1000)
    if p:
        return None, dict(p)
    return Notice(reviewed_on=reviewed, notice_from=start, notice_to=end, passed=passed, note=note), {}


def parse_measure(form, prefix: str = "", required: bool = True) -> tuple[MeasureIn | None, dict]:
    p = _Problems()
    kind = p.choice(form, prefix + "kind", MeasureKind, _("措施类型"), required)
    cadre = p.whole(form, prefix + "cadre_id", _("责任干部"), 1, 2**31 - 1, required)
    if prefix + "cadre_id" in p:
        p[prefix + "cadre_id"] = _("请选择责任干部")
    started = p.date(form, prefix + "started_on", _("开始日期"), required)
    description = p.text(form, prefix + "description", 200)
    if p:
        return None, dict(p)
    if kind is None and not required:
        return None, {}
    return MeasureIn(kind=kind, cadre_id=cadre, started_on=started, description=description), {}


def parse_decision(form) -> tuple[Decision | None, dict]:
    p = _Problems()
    include = p.yes_no(form, "include", _("审定结论"))
    reason = p.text(form, "reason", 1000)
    if include is None:
        return None, dict(p)
    if not include:
        return (None, dict(p)) if p else (Decision(include=False, reason=reason), {})
    category = p.choice(form, "category", MonitorCategory, _("监测对象类别"))
    wanted = form.getlist("risk_types") if hasattr(form, "getlist") else form.get("risk_types", [])
    risks = [r for r in RiskType if r.value in wanted]
    if not risks:
        p["risk_types"] = _("请至少选择一项风险类型")
    measure, problems = parse_measure(form, "measure_")
    p.update(problems)
    if p:
        return None, dict(p)
    return Decision(include=True, category=category, risk_types=risks, measures=[measure], reason=reason), {}


def parse_measure_done(form) -> tuple[date | None, dict]:
    p = _Problems()
    done = p.date(form, "done_on", _("落实日期"))
    return (None, dict(p)) if p else (done, {})
