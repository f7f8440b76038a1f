"""What every import kind shares: columns, header matching, row errors, counts and bulk writes."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.extensions import db

from . import cells

#: rows per INSERT/UPDATE statement (tests lower it to inject a failure midway)
CHUNK = 1000
#: header rows searched for the header (a title row above it is common in real rosters)
HEADER_SEARCH_ROWS = 10
_ALIASES = {"身份证号码": "身份证号", "公民身份号码": "身份证号", "证件号码": "身份证号", "手机号": "联系电话",
            "手机号码": "联系电话", "电话": "联系电话", "户主": "户主姓名", "镇": "乡镇", "乡镇街道": "乡镇",
            "驻村职务": "驻村身份"}


@dataclass(frozen=True)
class Column:
    #: the header as CONTRACT.md spells it
    header: str
    #: the key in Row.values
    key: str
    parse: Callable[[Any], Any]
    #: the header must be present
    required: bool = True
    #: a blank cell is an error (only checked when the column is present)
    cell_required: bool = True


@dataclass(order=True)
class RowError:
    row: int
    position: int
    column: str = field(compare=False)
    message: str = field(compare=False)

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.message}"


@dataclass
class Row:
    number: int
    values: dict
    #: the cells as read, by header, for the preview
    raw: dict
    bad: bool = False


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped": self.skipped}


class Problems:
    """The row errors of one file, in spreadsheet order."""

    def __init__(self, positions: dict[str, int]):
        self.positions = positions
        self.items: list[RowError] = []

    def add(self, row: Row | int, column: str, message: str) -> None:
        number = row.number if isinstance(row, Row) else row
        if isinstance(row, Row):
            row.bad = True
        self.items.append(RowError(number, self.positions.get(column, 999), column, str(message)))

    def sorted(self) -> list[RowError]:
        return sorted(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


class Kind:
    """One importable kind: its columns, its checks against the database, and its writes."""

    name: str = ""
    label: str = ""
    columns: tuple[Column, ...] = ()
    #: alternatives: at least one full group of these headers must be present
    header_groups: tuple[tuple[str, ...], ...] = ()

    def check(self, rows: list[Row], problems: Problems, ctx: Context) -> Counts:
        """Add database and cross-row problems; plan the writes and return what they would do."""
        raise NotImplementedError

    def write(self, ctx: Context) -> None:
        """Carry out the plan made by check()."""
        raise NotImplementedError


@dataclass
class Context:
    user: Any
    today: Any
    config: dict
    #: filled by Kind.check for Kind.write
    plan: dict = field(default_factory=dict)


def header_key(text) -> str:
    """Fold full-width characters, drop spaces and required-field stars."""
    out = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*]", "", out)


def _candidates(text) -> list[str]:
    """The header, then without trailing notes in brackets: 经济薄弱村(是/否) → 经济薄弱村."""
    key = header_key(text)
    out = [key]
    while (stripped := re.sub(r"\([^()]*\)$", "", key)) != key and stripped:
        key = stripped
        out.append(key)
    return out + [_ALIASES[k] for k in out if k in _ALIASES]


def match_headers(raw_rows: list[list], kind: Kind) -> tuple[int, dict[str, int], list[RowError]]:
    """Find the header row; return its index, {header: column index} and header problems."""
    known = {c.header: c for c in kind.columns}
    best = (0, 0, {})
    for index, row in enumerate(raw_rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for col, cell in enumerate(row):
            if cells.is_blank(cell) or not isinstance(cell, str):
                continue
            match = next((c for c in _candidates(cell) if c in known), None)
            if match and match not in found:
                found[match] = col
        if len(found) > best[0]:
            best = (len(found), index, found)
    index, found = best[1], best[2]
    errors = []
    number = index + 1
    positions = {c.header: i for i, c in enumerate(kind.columns)}
    for column in kind.columns:
        if column.required and column.header not in found:
            errors.append(RowError(number, positions[column.header], column.header,
                                   _("缺少这一列；请使用模板中的表头")))
    if kind.header_groups and not any(all(h in found for h in group) for group in kind.header_groups):
        need = _("或").join("+".join(group) for group in kind.header_groups)
        errors.append(RowError(number, 998, "、".join(h for g in kind.header_groups for h in g),
                               _("缺少列：需要 %(need)s", need=need)))
    if index < len(raw_rows):
        seen = {}
        for col, cell in enumerate(raw_rows[index]):
            match = next((c for c in _candidates(cell) if c in known), None) if isinstance(cell, str) else None
            if match and match in seen:
                errors.append(RowError(number, positions[match], match,
                                       _("这一列出现了两次（第%(a)d列和第%(b)d列）", a=seen[match] + 1, b=col + 1)))
            seen.setdefault(match, col)
    return index, found, errors


def parse_rows(raw_rows: list[list], header_index: int, found: dict[str, int], kind: Kind,
               problems: Problems) -> list[Row]:
    """Parse every non-blank row below the header; cell problems go to `problems`."""
    rows = []
    present = [c for c in kind.columns if c.header in found]
    for index in range(header_index + 1, len(raw_rows)):
        cells_ = raw_rows[index]
        if all(cells.is_blank(v) for v in cells_):
            continue
        row = Row(index + 1, {}, {})
        for column in present:
            col = found[column.header]
            value = cells_[col] if col < len(cells_) else None
            if isinstance(value, str) and value == "":
                value = None
            row.raw[column.header] = value
            if cells.is_blank(value):
                row.values[column.key] = None
                if column.cell_required:
                    problems.add(row, column.header, _("不能为空"))
                continue
            try:
                row.values[column.key] = column.parse(value)
            except cells.CellError as err:
                row.values[column.key] = None
                problems.add(row, column.header, str(err))
        rows.append(row)
    return rows


def chunks(items: list, size: int | None = None) -> Iterable[list]:
    size = size or CHUNK
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _write(stmt, chunk: list[dict]):
    """Execute one bulk statement; the single place every import row goes through."""
    return db.session.execute(stmt, chunk)


def insert_rows(model, rows: list[dict]) -> None:
    """Bulk INSERT (executemany) in chunks inside the caller's transaction.

    render_nulls keeps None as NULL instead of leaving the key out, so rows with and without
    optional values share one batched statement rather than one statement per row.
    """
    stmt = sa.insert(model).execution_options(render_nulls=True)
    for chunk in chunks(rows):
        _write(stmt, chunk)


def update_rows(model, rows: list[dict]) -> None:
    """Bulk UPDATE by primary key (each dict holds "id" and the changed columns)."""
    for chunk in chunks(rows):
        _write(sa.update(model), chunk)


def select_in(stmt_for: Callable[[list], Any], keys: Iterable) -> list:
    """Run a SELECT ... WHERE key IN (...) in chunks of keys; one query per thousand keys."""
    keys = list(dict.fromkeys(k for k in keys if k is not None))
    out = []
    for chunk in chunks(keys):
        out.extend(db.session.execute(stmt_for(chunk)).all())
    return out


def changed(existing: dict, wanted: dict) -> dict:
    """The fields of `wanted` that differ from `existing`."""
    return {k: v for k, v in wanted.items() if existing.get(k) != v}
