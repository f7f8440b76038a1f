"""The quarter's work record as an Excel workbook (xlsxwriter): Chinese headers, frozen header row.

Text goes through write_string, so a name or unit starting with = + - @ stays text, never a formula.
"""
from __future__ import annotations

import io

import xlsxwriter

from relief.rates import shown_fraction
from .figures import CadreRecord

HEADERS = ["姓名", "单位", "职级", "乡镇", "结对户数", "走访次数", "节日慰问次数", "办结诉求", "超期诉求", "负责项目",
           "驻村天数", "应驻村天数", "驻村出勤率", "回访回答户数", "回访满意户数", "回访满意率", "挂钩村",
           "挂钩村收入进度", "个人得分", "总分（含捆绑考核）", "单位排名", "乡镇排名"]
_WIDTHS = {0: 10, 1: 22, 2: 9, 3: 16, 16: 14, 21: 18}


def _townships(r: CadreRecord) -> str:
    return "、".join(r.townships[t] for t in sorted(r.townships, key=r.townships.get))


def _township_ranks(r: CadreRecord) -> str:
    return "；".join(f"{r.townships[t]} {rank}/{n}" for t, (rank, n) in
                     sorted(r.township_ranks.items(), key=lambda kv: r.townships[kv[0]]))


def workbook(records: list[CadreRecord], year: int, quarter: int, weights: dict, norm_days: int) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1, "text_wrap": True, "valign": "top"})
    pct = book.add_format({"num_format": "0%"})  # as relief.rates shows a rate
    num = book.add_format({"num_format": "0.00"})
    sheet = book.add_worksheet(f"{year}年第{quarter}季度")
    for col, title in enumerate(HEADERS):
        sheet.write_string(0, col, title, head)
        sheet.set_column(col, col, _WIDTHS.get(col, 11))
    sheet.freeze_panes(1, 0)
    for row, r in enumerate(records, start=1):
        texts = {0: r.name, 1: r.unit, 2: r.rank.zh, 3: _townships(r), 16: "、".join(r.linked_villages),
                 20: f"{r.unit_rank}/{r.unit_size}", 21: _township_ranks(r)}
        numbers = {4: r.households, 5: r.visits, 6: r.holiday_visits, 7: r.demands_resolved, 8: r.demands_overdue,
                   9: r.projects, 13: r.callbacks_answered, 14: r.callbacks_content}
        if r.attendance_norm:
            numbers.update({10: r.attendance_days, 11: r.attendance_norm})
        for col, text in texts.items():
            sheet.write_string(row, col, text)
        for col, value in numbers.items():
            sheet.write_number(row, col, value)
        for col, rate in ((12, r.attendance), (15, r.satisfaction), (17, r.village_progress)):
            if rate is not None:
                sheet.write_number(row, col, shown_fraction(rate), pct)
        sheet.write_number(row, 18, r.score, num)
        sheet.write_number(row, 19, r.total, num)
    sheet.autofilter(0, 0, max(len(records), 1), len(HEADERS) - 1)

    notes = book.add_worksheet("计分说明")
    notes.set_column(0, 0, 24)
    notes.set_column(1, 1, 60)
    lines = [("项目", "权重"), *[(k, str(v)) for k, v in weights.items()],
             ("个人得分", "Σ 权重 × 指标；出勤率、回访满意率按 0–1 计，不适用时按 1 计"),
             ("总分", "区级领导（有挂钩村）：个人得分 × (1 − bundle + bundle × min(挂钩村收入进度, 1))；其他干部：个人得分"),
             ("应驻村天数", f"驻村的月份数 × {norm_days} 天")]
    for row, (a, b) in enumerate(lines):
        notes.write_string(row, 0, a, head if row == 0 else None)
        notes.write_string(row, 1, b, head if row == 0 else None)
    book.close()
    return out.getvalue()
