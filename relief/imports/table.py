"""Finding the table in a workbook: the sheet, the header row (one or two rows), where it ends.

Real rosters have a title row, a 填报单位 line and blank rows above the header, a group heading
above the column names (a two-row header), a 序号 column, pages' headers repeated, 小计 rows
inside, and a 合计 row, signatures (制表人, 审核人, 填报日期) and notes (注：…) below. The sheet
and the header row chosen are the ones whose cells best match the kind's headers.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _

from . import cells
from .reader import HEAD_ROWS, Sheet, Workbook

#: rows searched for the header (title rows, 填报单位 lines and blank rows come above it); the
#: sheet's first rows, which the reader keeps at hand, hold these and the row below the last
HEADER_SEARCH_ROWS = HEAD_ROWS - 1
#: other spellings of the headers in offices' own rosters and the national system's exports
ALIASES = {
    "身份证号码": "身份证号", "公民身份号码": "身份证号", "证件号码": "身份证号", "身份证": "身份证号",
    "户主身份证号": "身份证号", "户主身份证号码": "身份证号", "户主证件号码": "身份证号",
    "手机号": "联系电话", "手机号码": "联系电话", "电话": "联系电话", "手机": "联系电话", "联系方式": "联系电话",
    "电话号码": "联系电话", "户主联系电话": "联系电话",
    "户主": "户主姓名", "户主名": "户主姓名",
    "镇": "乡镇", "乡镇街道": "乡镇", "乡(镇)": "乡镇", "所在乡镇": "乡镇", "乡镇名称": "乡镇",
    "行政村": "村", "村名": "村", "村(居)": "村", "所在村": "村", "村名称": "村", "村庄": "村",
    "家庭人口数": "家庭人口", "家庭人数": "家庭人口", "人口数": "家庭人口", "家庭成员数": "家庭人口",
    "主要致贫原因": "致贫原因", "户类型": "状态", "贫困户状态": "状态", "户状态": "状态",
    "脱贫年份": "脱贫年度", "脱贫时间": "脱贫年度", "年人均纯收入(元)": "人均纯收入(元)",
    "驻村职务": "驻村身份",
    "帮扶干部联系电话": "干部联系电话", "帮扶责任人联系电话": "干部联系电话", "帮扶人联系电话": "干部联系电话",
    "帮扶类型": "结对类型", "结对开始日期": "开始日期", "结对日期": "开始日期",
    "是否经济薄弱村": "经济薄弱村", "是否薄弱村": "经济薄弱村",
    "单位名称": "单位", "工作单位": "单位", "所在单位": "单位",
    "年份": "年度", "统计年度": "年度",
    "村集体经济收入(万元)": "集体经济收入(万元)", "村级集体经济收入(万元)": "集体经济收入(万元)",
    "集体经济总收入(万元)": "集体经济收入(万元)",
}
_SIGNATURES = ("制表", "填表人", "填报人", "审核", "审批人", "负责人", "单位负责人", "分管领导", "经办人",
               "填报日期", "填表日期", "报送日期", "填报时间", "日期:", "填报单位", "单位盖章", "(盖章)")
_NOTE = re.compile(r"^(注|注意|备注|说明|附注|填表说明|填报说明)($|[:.、\d①-⑩(])")
_TOTAL = re.compile(r"^(合计|总计|共计|全区合计|全镇合计)")
_SUBTOTAL = re.compile(r"^小计")


def header_key(text) -> str:
    """Fold full-width characters, drop spaces and required-field stars."""
    out = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*]", "", out)


def candidates(text) -> list[str]:
    """The header, then without trailing notes in brackets: 经济薄弱村(是/否) → 经济薄弱村, then aliases."""
    key = header_key(text)
    out = [key]
    while (stripped := re.sub(r"\([^()]*\)$", "", key)) != key and stripped:
        key = stripped
        out.append(key)
    return out + [ALIASES[k] for k in out if k in ALIASES]


@dataclass
class Table:
    sheet: Sheet
    #: the sheet's position among the visible sheets (0 = first) and how many there are
    sheet_index: int
    sheet_count: int
    #: the sheet's own row numbers of the header: one row, or two for a group heading above the names
    header_rows: tuple[int, ...]
    #: {header as CONTRACT.md spells it: column index}
    found: dict[str, int]
    #: where a 合计 row, a signature or a note ended the table (its row number and its text)
    footer_row: int | None = None
    footer_text: str = ""
    #: rows inside the table that are not data: 小计 rows, the header repeated on every printed page
    skipped: list[int] = field(default_factory=list)
    #: other sheets that hold the same full header (not read)
    also: list[str] = field(default_factory=list)

    @property
    def header_row(self) -> int:
        return self.header_rows[-1]

    def describe(self) -> str:
        """Where the table was found, in a sentence for the preview and the command line."""
        rows = "–".join(str(r) for r in self.header_rows)
        if self.sheet_count > 1:
            text = _("读取工作表“%(sheet)s”（第%(n)d个，共%(total)d个），表头在第%(rows)s行",
                     sheet=self.sheet.name, n=self.sheet_index + 1, total=self.sheet_count, rows=rows)
        else:
            text = _("读取工作表“%(sheet)s”，表头在第%(rows)s行", sheet=self.sheet.name, rows=rows)
        if self.sheet_index > 0:
            text += _("（前面的工作表里没有这张表）")
        return text

    def notes(self) -> list[str]:
        """What was left out of the table, so nothing is skipped without a word."""
        out = []
        if self.footer_row:
            out.append(_("第%(row)d行起是表尾（%(text)s），不作为数据导入", row=self.footer_row,
                         text=self.footer_text[:40]))
        if self.also:
            out.append(_("工作表%(sheets)s也有这张表的表头，没有读取；如要导入，请把它单独存成一个文件",
                         sheets="、".join(f"“{name}”" for name in self.also)))
        if self.skipped:
            shown = "、".join(str(r) for r in self.skipped[:10]) + ("…" if len(self.skipped) > 10 else "")
            out.append(_("第%(rows)s行是小计或重复的表头，已跳过", rows=shown))
        return out


def _match_row(row: list, known: set[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for col, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            match = next((c for c in candidates(cell) if c in known), None)
            if match:
                found.setdefault(match, []).append(col)
    return found


def _match_pair(upper: list, lower: list, known: set[str]) -> dict[str, list[int]]:
    """A two-row header: the lower name, else the two joined (人均纯收入 + (元)), else the upper one alone."""
    found: dict[str, list[int]] = {}
    for col in range(max(len(upper), len(lower))):
        up = upper[col] if col < len(upper) and isinstance(upper[col], str) else ""
        low = lower[col] if col < len(lower) and isinstance(lower[col], str) else ""
        tries = [low, up + low] if low.strip() else [up]
        match = None
        for text in tries:
            if text.strip():
                match = next((c for c in candidates(text) if c in known), None)
                if match:
                    break
        if match:
            found.setdefault(match, []).append(col)
    return found


def _complete(found: dict, kind) -> bool:
    grouped = not kind.header_groups or any(all(h in found for h in g) for g in kind.header_groups)
    return grouped and all(c.header in found for c in kind.columns if c.required)


def _score(found: dict, kind) -> tuple[int, int]:
    required = sum(1 for c in kind.columns if c.required and c.header in found)
    groups = 1 if kind.header_groups and any(all(h in found for h in g) for g in kind.header_groups) else 0
    return required + groups, len(found)


def _best_header(sheet: Sheet, kind) -> tuple[tuple, tuple[int, ...], dict[str, list[int]]]:
    known = {c.header for c in kind.columns}
    rows = sheet.head
    singles = [_match_row(row, known) for row in rows[:HEADER_SEARCH_ROWS + 1]]
    scores = [_score(found, kind) for found in singles]
    best: tuple = ((0, 0), (1,), {})
    for index in range(min(HEADER_SEARCH_ROWS, len(rows))):
        if scores[index] > best[0]:
            best = (scores[index], (index + 1,), singles[index])
        if index + 1 < len(rows):
            # two rows only when together they name more columns than either row alone
            pair = _match_pair(rows[index], rows[index + 1], known)
            score = _score(pair, kind)
            if score > max(scores[index], scores[index + 1], best[0]):
                best = (score, (index + 1, index + 2), pair)
    score, header_rows, found = best
    top = header_rows[0] - 1
    if len(header_rows) == 1 and top > 0 and _merged_down(rows[top - 1], rows[top], found):
        header_rows = (top, top + 1)
    return score, header_rows, found


def _merged_down(upper: list, lower: list, found: dict[str, list[int]]) -> bool:
    """The header's names fill the row above too: cells merged down over two header rows."""
    same = sum(1 for cols in found.values() for c in cols[:1]
               if c < len(upper) and c < len(lower) and upper[c] == lower[c])
    return same >= 2


@dataclass(order=True)
class RowError:
    """A problem of one row (or of the header row): the command line prints it as row N: column: message."""

    row: int
    position: int
    column: str = field(compare=False)
    message: str = field(compare=False)

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.message}"


def find_table(book: Workbook, kind) -> tuple[Table, list]:
    """The sheet and header that best match `kind`; header problems (missing or doubled columns)."""
    scored = [(_best_header(sheet, kind), i) for i, sheet in enumerate(book.sheets)]
    (score, header_rows, found), index = max(scored, key=lambda s: (s[0][0], -s[1]))
    table = Table(book.sheets[index], index, len(book.sheets), header_rows,
                  {h: cols[0] for h, cols in found.items()})
    table.also = [book.sheets[i].name for (_s, _r, other), i in scored
                  if i != index and _complete(other, kind)]
    number = table.header_row
    positions = {c.header: i for i, c in enumerate(kind.columns)}
    errors = []
    missing = [c for c in kind.columns if c.required and c.header not in found]
    grouped = not kind.header_groups or any(all(h in found for h in g) for g in kind.header_groups)
    elsewhere = ""
    if (missing or not grouped) and len(book.sheets) > 1:
        elsewhere = _("（%(n)d个工作表里都没有找到完整的表头，最接近的是“%(sheet)s”的第%(row)d行；"
                      "表格可能在其他文件里，或表头写法不同）", n=len(book.sheets), sheet=table.sheet.name, row=number)
    for column in missing:
        errors.append(RowError(number, positions[column.header], column.header,
                               _("缺少这一列；请使用模板中的表头") + elsewhere))
        elsewhere = ""  # said once
    if not grouped:
        need = _("或").join("+".join(group) for group in kind.header_groups)
        errors.append(RowError(number, 998, "、".join(h for g in kind.header_groups for h in g),
                               _("缺少列：需要 %(need)s", need=need) + elsewhere))
    for header, cols in found.items():
        if len(cols) > 1:
            errors.append(RowError(number, positions[header], header,
                                   _("这一列出现了两次（第%(a)d列和第%(b)d列）", a=cols[0] + 1, b=cols[1] + 1)))
    return table, errors


def _first_text(row: list) -> str:
    for cell in row:
        if not cells.is_blank(cell):
            return header_key(cell) if isinstance(cell, str) else ""
    return ""


def footer_kind(row: list) -> str | None:
    """"end" for a 合计 row, a signature or a note; "skip" for a 小计 row; None for anything else."""
    text = _first_text(row)
    if not text:
        return None
    if _SUBTOTAL.match(text):
        return "skip"
    if _TOTAL.match(text) or _NOTE.match(text) or text.startswith(_SIGNATURES):
        return "end"
    return None


def data_rows(table: Table, required_cols: list[int]) -> Iterator[tuple[int, list]]:
    """(row number, cells) for every row of the table that may hold data, read afresh each time.

    Rows blank in every column the kind reads are skipped (a 序号 already filled in below the
    data is not a row); the table ends at its footer. Rows below the footer that fill every
    required column are still yielded, marked by a negative number, so that they are reported
    rather than silently dropped. A whole pass leaves the footer and the skipped rows in `table`.
    """
    head = table.sheet.head
    cols = sorted(table.found.values())
    # how the header reads in this file and in CONTRACT.md, for the two leftmost columns read
    header_names = {}
    for header, col in sorted(table.found.items(), key=lambda item: item[1])[:2]:
        names = {header}
        for number in table.header_rows:
            cell = head[number - 1][col] if col < len(head[number - 1]) else None
            if isinstance(cell, str) and cell.strip():
                names.add(header_key(cell))
        header_names[col] = names
    table.footer_row, table.footer_text, table.skipped = None, "", []
    ended = False
    for number, cells_ in enumerate(table.sheet.rows(table.header_row), start=table.header_row + 1):
        kind = footer_kind(cells_)
        if kind is None and all(cells.is_blank(cells_[c]) if c < len(cells_) else True for c in cols):
            continue
        if ended:
            if kind is None and required_cols and all(
                    c < len(cells_) and not cells.is_blank(cells_[c]) for c in required_cols):
                yield -number, cells_
            continue
        if kind == "end":
            table.footer_row, table.footer_text = number, _first_text(cells_)
            ended = True
            continue
        if kind == "skip" or _repeats_header(cells_, header_names):
            table.skipped.append(number)
            continue
        yield number, cells_


def _repeats_header(row: list, header_names: dict[int, set[str]]) -> bool:
    """The header printed again (a roster printed page by page and pasted back together)."""
    if len(header_names) < 2:
        return False
    for col, names in header_names.items():
        cell = row[col] if col < len(row) else None
        if not isinstance(cell, str) or header_key(cell) not in names:
            return False
    return True
