"""The quarter's work record as an Excel workbook (relief.spreadsheets): Chinese headers, frozen
header row, and a sheet that explains the score. Text stays text, never a formula."""
from __future__ import annotations

from relief.rates import shown_fraction
from relief.spreadsheets import Col, Sheet, xlsx_bytes

from .figures import CadreRecord

HEADERS = ["姓名", "单位", "职级", "乡镇", "结对户数", "走访次数", "节日慰问次数", "办结诉求", "超期诉求", "负责项目",
           "驻村天数", "应驻村天数", "驻村出勤率", "回访回答户数", "回访满意户数", "回访满意率", "挂钩村",
           "挂钩村收入进度", "个人得分", "总分（含捆绑考核）", "单位排名", "乡镇排名"]
_WIDTHS = {0: 10, 1: 22, 2: 9, 3: 16, 16: 14, 21: 18}
_TEXT = {0, 1, 2, 3, 16, 20, 21}
_PERCENT = {12, 15, 17}  # as relief.rates shows a rate
_DECIMAL = {18, 19}


def _kind(col: int) -> str:
    return "text" if col in _TEXT else "percent" if col in _PERCENT else "decimal" if col in _DECIMAL else "int"


COLUMNS = [Col(h, _WIDTHS.get(i, 11), _kind(i)) for i, h in enumerate(HEADERS)]


def _townships(r: CadreRecord) -> str:
    return "、".join(r.townships[t] for t in sorted(r.townships, key=r.townships.get))


def _township_ranks(r: CadreRecord) -> str:
    return "；".join(f"{r.townships[t]} {rank}/{n}" for t, (rank, n) in
                     sorted(r.township_ranks.items(), key=lambda kv: r.townships[kv[0]]))


def _rate(value: float | None) -> float | None:
    return None if value is None else shown_fraction(value)


def _row(r: CadreRecord) -> tuple:
    stationed = bool(r.attendance_norm)
    return (r.name, r.unit, r.rank.zh, _townships(r), r.households, r.visits, r.holiday_visits, r.demands_resolved,
            r.demands_overdue, r.projects, r.attendance_days if stationed else None,
            r.attendance_norm if stationed else None, _rate(r.attendance), r.callbacks_answered,
            r.callbacks_content, _rate(r.satisfaction), "、".join(r.linked_villages), _rate(r.village_progress),
            r.score, r.total, f"{r.unit_rank}/{r.unit_size}", _township_ranks(r))


def workbook(records: list[CadreRecord], year: int, quarter: int, weights: dict, norm_days: int) -> bytes:
    notes = [*[(k, str(v)) for k, v in weights.items()],
             ("个人得分", "Σ 权重 × 指标；出勤率、回访满意率按 0–1 计，不适用时按 1 计"),
             ("总分", "区级领导（有挂钩村）：个人得分 × (1 − bundle + bundle × min(挂钩村收入进度, 1))；其他干部：个人得分"),
             ("应驻村天数", f"驻村的月份数 × {norm_days} 天")]
    return xlsx_bytes([
        Sheet("record", f"{year}年第{quarter}季度", COLUMNS, lambda: (_row(r) for r in records), header_height=None),
        Sheet("notes", "计分说明", [Col("项目", 24), Col("权重", 60)], lambda: notes, autofilter=False, freeze=False,
              header_height=None),
    ])
