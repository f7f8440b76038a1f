"""The call-back answer form: parse what the caller ticked into Answers, with a message per field."""
from __future__ import annotations

from flask_babel import gettext as _

from relief.models import Answer, Satisfaction

from .services import Answers, check


def _enum(enum_cls, raw: str | None):
    raw = (raw or "").strip()
    return next((m for m in enum_cls if m.value == raw), None)


def parse_answers(form) -> tuple[Answers | None, dict[str, str]]:
    """Answers from the posted form, or None with the problems by field name."""
    problems: dict[str, str] = {}
    reached = form.get("reached")
    if reached not in ("yes", "no"):
        problems["reached"] = _("请选择是否接通")
    claimed_raw = (form.get("visits_claimed") or "").strip()
    claimed = None
    if claimed_raw:
        try:
            claimed = int(claimed_raw)
        except ValueError:
            problems["visits_claimed"] = _("走访次数应为 0 到 99 之间的整数")
    for name, enum_cls in (("cadre_visited", Answer), ("demand_resolved", Answer), ("satisfaction", Satisfaction)):
        raw = form.get(name)
        if raw and raw != "none" and _enum(enum_cls, raw) is None:
            problems[name] = _("请从列出的选项中选择")
    if problems:
        return None, problems
    answers = Answers(reached=reached == "yes", cadre_visited=_enum(Answer, form.get("cadre_visited")),
                      visits_claimed=claimed, demand_resolved=_enum(Answer, form.get("demand_resolved")),
                      satisfaction=_enum(Satisfaction, form.get("satisfaction")), remark=form.get("remark") or "")
    problems = check(answers)
    return (None, problems) if problems else (answers, {})
