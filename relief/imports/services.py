"""Importing a roster: read, check every row, then write all rows or none.

run_import() flushes and never commits: the caller (the CLI or the view) commits once when
the outcome is clean and it is not a dry run, and rolls back otherwise. Everything happens in
one transaction, so a failure or a killed process midway leaves nothing behind.

The rows are checked and written a batch at a time (base.BATCH), so memory stays flat however
long the file: a batch is written while no problem has been found in the file, and the later
batches are still checked so that every bad row is reported; the caller's rollback then undoes
what was written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from relief import audit
from relief.dates import today
from relief.extensions import db
from relief.ids import mask_id, mask_phone
from relief.models import AuditEvent, Role
from relief.models.vocabulary import SYNONYMS
from relief.scope import scoped
from relief.spreadsheets import Col, Sheet, xlsx_bytes

from .base import Context, Counts, Kind, Problems, Row, RowError, parse_batches, survey
from .households import Households
from .org import Cadres, Incomes, Villages
from .pairings import Pairings
from .reader import FORMATS, FileProblem, read_workbook
from .table import find_table

KINDS: dict[str, Kind] = {k.name: k for k in (Villages(), Cadres(), Households(), Pairings(), Incomes())}
PREVIEW_ROWS = 10
_MASKED = {"身份证号": mask_id, "联系电话": mask_phone, "干部联系电话": mask_phone}
_MONEY = {"target_yuan", "income_yuan", "income"}

__all__ = ["FORMATS", "KINDS", "FileProblem", "Outcome", "run_import", "template_workbook"]


@dataclass
class Outcome:
    kind: str
    filename: str
    rows: int = 0
    counts: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)
    #: the headers found, in the kind's order, and the first rows as they will be stored (numbers masked)
    headers: list[str] = field(default_factory=list)
    preview: list[tuple[int, list[str]]] = field(default_factory=list)
    stored: bool = False
    #: which sheet and header row were read, and what was left out (footer, 小计 rows)
    where: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        c = self.counts
        return _("%(kind)s：共%(rows)d行，新增%(created)d，更新%(updated)d，未变%(unchanged)d，已存在跳过%(skipped)d",
                 kind=KINDS[self.kind].label, rows=self.rows, created=c.created, updated=c.updated,
                 unchanged=c.unchanged, skipped=c.skipped)


def recent_imports(user, limit: int = 10) -> list[AuditEvent]:
    """The latest imports in the audit trail the user may read, newest first."""
    return db.session.scalars(
        scoped(sa.select(AuditEvent), user).where(AuditEvent.action == "import")
        .order_by(AuditEvent.id.desc()).limit(limit)).all()


def run_import(kind_name: str, data: bytes, filename: str, user=None, dry_run: bool = False) -> Outcome:
    """Check a file of `kind_name` and, when every row is good and not dry_run, write it (flush only).

    user: the acting admin, or None on the command line. Raises FileProblem for a file that
    cannot be read at all; row problems are returned in Outcome.errors.
    """
    if user is not None and user.role is not Role.ADMIN:
        raise PermissionError(_("只有区扶贫办管理员可以导入"))
    kind = KINDS[kind_name]
    outcome = Outcome(kind_name, filename)
    table, header_errors = find_table(read_workbook(data, filename), kind)  # only the table's sheet is kept
    outcome.where = table.describe()
    if header_errors:
        outcome.errors = sorted(header_errors)
        return outcome
    problems = Problems(table.found)
    found = survey(table, kind, problems, current_app.config)
    outcome.notes = table.notes()
    outcome.rows = found.rows
    columns = [c for c in kind.columns if c.header in table.found]
    outcome.headers = [c.header for c in columns]
    ctx = Context(user=user, today=today(), config=current_app.config)
    for rows in parse_batches(table, kind, problems, current_app.config, found):
        outcome.counts.add(kind.check(rows, problems, ctx))
        shown = rows[:PREVIEW_ROWS - len(outcome.preview)]
        outcome.preview += [(r.number, [_shown(c, r) for c in columns]) for r in shown]
        if not problems and not dry_run:
            kind.write(ctx)
        ctx.plan = {}
    outcome.errors = problems.sorted()
    if outcome.errors or dry_run:
        return outcome
    audit.log(db.session, "import", "import", None, user=user,
              note=f"{kind_name} {filename}"[:300],
              changes={"kind": kind_name, "file": filename[:120], "rows": outcome.rows, **outcome.counts.as_dict()})
    db.session.flush()
    outcome.stored = True
    return outcome


def _shown(column, row: Row) -> str:
    """A cell as it will be stored (ID and phone numbers masked); as it was read when it is bad."""
    value = row.values.get(column.key)
    raw = row.raw.get(column.header)
    if value is None:
        if raw is None:
            return ""
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
        return _MASKED[column.header](text) if column.header in _MASKED else text
    if column.header in _MASKED:
        return _MASKED[column.header](str(value))
    if isinstance(value, tuple):  # (status, category) before Households.check has split it
        value = value[0]
    if hasattr(value, "label"):
        text = str(value.label)
        if column.key == "status" and row.values.get("category") is not None:
            text += f"（{row.values['category'].label}）"
        return text
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, date):
        return value.isoformat()
    if column.key in _MONEY:
        return _("%(yuan)s元", yuan=f"{value:,}")
    return str(value)


def template_workbook(kind_name: str) -> bytes:
    """An .xlsx with the kind's header row, ID and phone columns formatted as text, and notes."""
    kind = KINDS[kind_name]
    columns = [Col(column.header, max(12, len(column.header) * 2 + 4), "general",
                   typed="text" if column.header in _MASKED else "date" if column.key == "started_on" else None)
               for column in kind.columns]
    notes = [(column.header, str(column_note(kind_name, column))) for column in kind.columns]
    return xlsx_bytes([
        Sheet(kind_name, str(kind.label), columns, lambda: [], autofilter=False, header_height=None),
        Sheet("notes", _("填写说明"), [Col(_("列"), 22), Col(_("说明"), 80)], lambda: notes, autofilter=False,
              freeze=False, header_height=None),
    ])


def column_note(kind_name: str, column) -> str:
    """What a column takes, for the template's notes sheet and the import page."""
    from relief.models import HouseholdStatus, MonitorCategory, PairingKind, PovertyCause, Rank, StationRole

    choices = {"rank": Rank, "cause": PovertyCause, "category": MonitorCategory, "kind": PairingKind,
               "role": StationRole}
    parts = [_("必填") if column.required and column.cell_required else _("选填")]
    if column.key in choices:
        parts.append(_("可填：%(v)s", v="、".join(m.zh for m in choices[column.key])))
    extra = {
        "is_weak": _("填“是”或“否”"),
        "id_number": _("18位；请把这一列设为“文本”格式，否则 Excel 会把它变成数字并丢掉后几位"),
        "status": _("可填：%(v)s；监测户可写成“监测户(边缘易致贫户)”", v="、".join(m.zh for m in HouseholdStatus)),
        "lifted_year": _("状态为已脱贫时必填"),
        "started_on": _("日期，如 2024-03-01，不能晚于今天"),
        "target_yuan": _("单位万元，如 15；不填则用全区默认目标"),
        "coord_system": _("纬度、经度从哪里抄来：WGS-84（手机 GPS、天地图，不填即为此）、GCJ-02（高德、腾讯地图）"
                          "或 BD-09（百度地图）；一律换算成 WGS-84 保存"),
        "income_yuan": _("单位万元，如 15.2"),
        "income": _("单位元，整数"),
        "income_year": _("人均纯收入所属年度；不填则为今年"),
        "category": _("状态为监测户时的类别；不填时有脱贫年度的记为脱贫不稳定户，否则记为边缘易致贫户"),
        "phone": _("11位手机号") if kind_name in ("cadres", "pairings") else _("手机号或带区号的固话"),
    }
    if kind_name == "pairings" and column.key in ("id_number", "township", "village"):
        parts.append(_("户结对填身份证号；挂钩、驻村填乡镇和村"))
    elif column.key in extra:
        parts.append(extra[column.key])
    enum_cls = {**choices, "status": HouseholdStatus}.get(column.key)
    if enum_cls in SYNONYMS:
        words = list(SYNONYMS[enum_cls])[:8]
        parts.append(_("也认全国系统和常见的写法，如 %(words)s 等", words="、".join(words)))
    return "；".join(str(p) for p in parts)
