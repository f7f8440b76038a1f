"""部门筛查预警: a department's list (headers 身份证号, 姓名, 说明) read through the import pipeline.

The file is read, its table found and its cells checked by relief.imports (reader, table, cells):
the same formats, title rows, merged cells, footers and Excel damage as any roster. A malformed
row (a bad ID number) refuses the file — nothing is stored, each bad row reported as
`row N: 身份证号: message`; people not on relief's roster are counted and listed, not refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from relief.imports import cells
from relief.imports.base import Column, Kind, Problems, RowError, parse_batches, survey
from relief.imports.reader import FileProblem, read_workbook
from relief.imports.table import find_table
from relief.models import Department

from . import leads

__all__ = ["FileProblem", "RiskList", "RiskListOutcome", "import_risk_list"]


class RiskList(Kind):
    name = "risk-list"
    label = _l("部门名单")
    columns = (
        Column("身份证号", "id_number", cells.id_number, ids=True),
        Column("姓名", "name", lambda v: cells.name(v, 32)),
        Column("说明", "note", lambda v: cells.text(v, 500), cell_required=False),
    )


@dataclass
class RiskListOutcome:
    department: Department
    rows: int = 0
    where: str = ""
    notes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    result: leads.ListOutcome | None = None

    def summary(self) -> str:
        r = self.result
        return _("%(dept)s名单：共%(rows)d行，新增风险线索%(created)d条，今年已有%(known)d条，不在帮扶户名册中%(missing)d人",
                 dept=self.department.label, rows=self.rows, created=r.created if r else 0,
                 known=r.known if r else 0, missing=len(r.not_on_roster) if r else 0)


def import_risk_list(data: bytes, filename: str, department: Department, today: date, user=None) -> RiskListOutcome:
    """Read the list and add a lead per person on the roster (flush only; the caller commits when
    `errors` is empty). Raises FileProblem for a file that cannot be read at all."""
    kind = RiskList()
    outcome = RiskListOutcome(department)
    table, header_errors = find_table(read_workbook(data, filename), kind)
    outcome.where = table.describe()
    if header_errors:
        outcome.errors = sorted(header_errors)
        return outcome
    problems = Problems(table.found)
    found = survey(table, kind, problems, current_app.config)
    outcome.notes = table.notes()
    outcome.rows = found.rows
    listed = []
    for rows in parse_batches(table, kind, problems, current_app.config, found):
        if not problems:  # once a row is bad nothing is stored, so the rest is only checked
            listed += [leads.Listed(r.number, r.values["id_number"], r.values["name"] or "", r.values.get("note") or "")
                       for r in rows]
    outcome.errors = problems.sorted()
    if outcome.errors:
        return outcome
    outcome.result = leads.department_leads(listed, department, today, filename, user=user)
    return outcome
