"""The yearly workbook of assistance results: the six contract sheets and 回访, masked numbers, scoped to the user.

Sheet names, the 汇总 rows and the column headers are fixed by CONTRACT.md and stay Chinese
in every UI language; the figures come from relief.reports so they match every page.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from relief import audit
from relief.extensions import db
from relief.ids import mask_id, mask_phone
from relief.models import Role, Township
from relief.scope import FLAG_READERS
from relief.rates import shown_fraction
from relief.reports import year_figures
from relief.scope import may_export_full_ids, scoped

from relief.spreadsheets import Col, Sheet, write_csv, write_xlsx

from . import rows

SHEET_KEYS = ("summary", "villages", "households", "cadres", "projects", "visits", "callbacks", "monitored")
SHEET_NAMES = {"summary": "汇总", "villages": "村集体经济", "households": "结对帮扶户", "cadres": "帮扶干部",
               "projects": "帮扶项目", "visits": "走访记录", "callbacks": "回访", "monitored": "监测对象"}
CST_OFFSET = timedelta(hours=8)
_RATES = {"春节慰问覆盖率", "中秋慰问覆盖率"}


class ExportError(ValueError):
    """A request for an export that cannot be made; the message says why."""


@dataclass
class Operator:
    """The command line's operator: sees the whole district, like the admin."""

    id: None = None
    username: str = "cli"
    role: Role = Role.ADMIN
    township_id: None = None
    cadre_id: None = None
    is_authenticated: bool = True


def resolve_township(name: str | None) -> Township | None:
    """The command line's --township (a name, or an id): None for the whole district."""
    if name in (None, ""):
        return None
    value = str(name).strip()
    by_id = value.isdecimal() and len(value) <= 9
    found = db.session.scalar(sa.select(Township).where(Township.id == int(value) if by_id else Township.name == value))
    if found is None:
        raise ExportError(_("没有名为“%(name)s”的乡镇", name=name))
    return found


def sheets(user, year: int, township: Township | None, full_ids: bool = False) -> list[Sheet]:
    """The seven sheets, each a recipe that streams its rows when written."""
    tid = township.id if township else None
    show_id = (lambda v: v or None) if full_ids else (lambda v: mask_id(v) or None)
    show_phone = (lambda v: v or None) if full_ids else (lambda v: mask_phone(v) or None)

    def summary():
        return year_figures(user, year, township_id=tid).rows()

    span = [year - 2, year - 1, year]

    def villages():
        _span, data = rows.village_rows(user, year, tid)
        for p, incomes in data:
            yield (p.township, p.name, *(incomes.get(y) for y in span), p.target_yuan, shown_fraction(p.progress),
                   p.reached, p.leader, p.stationed, p.projects)

    def households():
        for r in rows.household_rows(user, year, tid):
            yield (r.township, r.village, r.head_name, show_id(r.id_number), show_phone(r.phone), r.members,
                   r.cause, r.status, r.monitor_category, r.lifted_year, r.cadres, r.visits, r.holiday_visits,
                   r.demands, r.resolved, r.income)

    def cadres():
        for r in rows.cadre_rows(user, year, tid):
            yield (r.name, r.unit, r.title or None, r.rank, show_phone(r.phone), r.households, r.places, r.visits,
                   r.demands, r.resolved)

    def projects():
        for r in rows.project_rows(user, year, tid):
            yield tuple(r)

    # the flags are for scope.FLAG_READERS: only their workbook has the 照片疑点 column (at the end)
    photo_flags = user.role in FLAG_READERS

    def visits():
        notes_of = rows.photo_flag_notes(year, tid) if photo_flags else {}
        # unpacked by position: a year has hundreds of thousands of visits, and a row's names cost more
        for visited_on, township, village, head_name, cadre, kind, aid_yuan, notes, recorded_at, visit_id \
                in rows.visit_rows(user, year, tid):
            # stored as naive UTC; China has kept UTC+8 without daylight saving since 1991
            row = (visited_on, township, village, head_name, cadre, kind, aid_yuan, notes,
                   recorded_at + CST_OFFSET if recorded_at else None)
            yield (*row, notes_of.get(visit_id)) if photo_flags else row

    callback_headers, callback_rows = rows.callback_sheet(user, year, tid, full_ids=full_ids)

    def callbacks():
        for r in callback_rows:
            yield tuple(v if v != "" else None for v in r)

    def monitored():
        yield from rows.monitored_rows(user, year, tid, full_ids=full_ids)

    return [
        Sheet("summary", "汇总", [Col("指标", 22), Col("数值", 16, "auto")], summary,
              cell_kind=lambda row: "percent" if row[0] in _RATES else ("yuan" if "元" in row[0] else "int"),
              autofilter=False),
        Sheet("villages", "村集体经济", [
            Col("乡镇", 12), Col("村", 14), *(Col(f"{y}年收入(元)", 14, "yuan") for y in span),
            Col(f"{year}年目标(元)", 14, "yuan"), Col("完成率", 10, "percent"), Col("是否达标", 10),
            Col("挂钩领导", 10), Col("驻村干部", 10), Col("帮扶项目数", 10, "int")], villages),
        Sheet("households", "结对帮扶户", [
            Col("乡镇", 12), Col("村", 14), Col("户主姓名", 10), Col("身份证号", 21), Col("联系电话", 14),
            Col("家庭人口", 9, "int"), Col("致贫原因", 12), Col("状态", 8), Col("监测类别", 14),
            Col("脱贫年度", 9, "int"), Col("帮扶干部", 16), Col("走访次数", 9, "int"), Col("节日慰问次数", 11, "int"),
            Col("诉求数", 8, "int"), Col("办结诉求数", 10, "int"), Col(f"{year}年人均纯收入(元)", 16, "yuan")],
            households),
        Sheet("cadres", "帮扶干部", [
            Col("姓名", 10), Col("单位", 22), Col("职务", 14), Col("职级", 10), Col("联系电话", 14),
            Col("结对户数", 9, "int"), Col("挂钩/驻村", 24), Col("走访次数", 9, "int"), Col("诉求数", 8, "int"),
            Col("办结诉求数", 10, "int")], cadres),
        Sheet("projects", "帮扶项目", [
            Col("乡镇", 12), Col("村", 14), Col("项目名称", 24), Col("类型", 10), Col("状态", 8), Col("负责干部", 10),
            Col("资金来源", 16), Col("资金(元)", 14, "yuan"), Col("开始日期", 12, "date"), Col("完工日期", 12, "date"),
            Col("预计年收益(元)", 14, "yuan"), Col("实际年收益(元)", 14, "yuan"), Col("受益户数", 9, "int"),
            Col("受益人数", 9, "int")], projects),
        Sheet("visits", "走访记录", [
            Col("走访日期", 12, "date"), Col("乡镇", 12), Col("村", 14), Col("户主姓名", 10), Col("帮扶干部", 10),
            Col("走访类型", 10), Col("帮扶金额(元)", 12, "yuan"), Col("走访情况", 60), Col("录入时间", 17, "datetime"),
            *([Col("照片疑点", 36)] if photo_flags else [])], visits),
        # issue 8: the call-backs of the year, after the six sheets of the contract
        Sheet("callbacks", "回访", [Col(h, 22 if h in ("备注", "核对") else 12) for h in callback_headers], callbacks),
        # issue 16: the year's 监测对象 (防返贫动态监测), after the existing sheets
        Sheet("monitored", "监测对象", [Col(h, *rows.MONITORED_COLS.get(h, (12,))) for h in rows.MONITORED_HEADERS],
              monitored),
    ]


def describe(year: int, township: Township | None, full_ids: bool, sheet: str | None, split: bool = False) -> str:
    """The audit note of an export: year, scope, format, whether numbers were shown in full."""
    scope = township.name if township else "全区"
    kind = "csv " + sheet if sheet else "zip of xlsx by township" if split else "xlsx"
    return f"{year} {scope} {kind}{' full-ids' if full_ids else ''}"


def export(target, user, year: int, township: Township | None, *, full_ids: bool = False,
           sheet: str | None = None, progress=None) -> dict[str, int]:
    """Write the workbook (or, with `sheet`, that one sheet as CSV) to a binary file; rows per sheet.

    `progress(sheet index, sheet name, rows written)` is called now and then (background jobs)."""
    if full_ids and not may_export_full_ids(user):
        raise PermissionError(_("只有区扶贫办管理员可以导出完整的身份证号和电话"))
    recipes = sheets(user, year, township, full_ids)
    if sheet is None:
        return write_xlsx(target, recipes, title=_("%(year)d年结对帮扶成效", year=year), progress=progress)
    chosen = next((s for s in recipes if s.key == sheet), None)
    if chosen is None:
        raise ExportError(_("没有这个工作表"))
    return {chosen.name: write_csv(target, chosen, progress=progress)}


def must_split(user, year: int, township: Township | None) -> bool:
    """Whether the year's rows overflow a sheet (EXPORT_SHEET_ROWS): then it goes out one workbook per township."""
    tid = township.id if township else None
    return rows.longest_sheet(user, year, tid) > current_app.config["EXPORT_SHEET_ROWS"]


def townships_of(user) -> list[Township]:
    """The townships whose workbooks a split export holds: those the user may see, by name."""
    return list(db.session.scalars(scoped(sa.select(Township), user, Township).order_by(Township.name)))


def workbook_name(year: int, township: Township | None) -> str:
    """A workbook's file name (also inside a split export's zip)."""
    return f"结对帮扶成效_{year}_{township.name if township else '全区'}.xlsx"


def export_by_township(target, user, year: int, *, full_ids: bool = False, progress=None) -> dict[str, int]:
    """A zip of one yearly workbook per township the user may see, so no sheet meets Excel's row limit;
    rows per sheet, summed. `progress` counts sheets across all the workbooks."""
    if full_ids and user.role is not Role.ADMIN:
        raise PermissionError(_("只有区扶贫办管理员可以导出完整的身份证号和电话"))
    limit = current_app.config["EXPORT_SHEET_ROWS"]
    totals: dict[str, int] = {}
    # an .xlsx is compressed already: stored as it is
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as bundle:
        for i, township in enumerate(townships_of(user)):
            if rows.longest_sheet(user, year, township.id) > limit:
                raise ExportError(_("%(township)s的数据超过了一个工作表的行数上限，请按工作表导出 CSV",
                                    township=township.name))

            def step(index, sheet_name, n, i=i, township=township):
                if progress:
                    progress(i * len(SHEET_KEYS) + index, f"{township.name} · {sheet_name}", n)

            with bundle.open(workbook_name(year, township), "w", force_zip64=True) as member:
                written = export(member, user, year, township, full_ids=full_ids, progress=step)
            for name, n in written.items():
                totals[name] = totals.get(name, 0) + n
    return totals


def log_export(user, note: str) -> None:
    """One audit event per export; the caller commits."""
    audit.log(db.session, "export", "export", None, note=note[:300],
              user=None if getattr(user, "id", None) is None else user)
