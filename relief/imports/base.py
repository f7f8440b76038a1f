"""What every import kind shares: columns, header matching, row errors, counts and bulk writes.

A file is read in two passes over its rows, so that memory does not grow with its size: survey()
looks at the whole table once (how many rows, which IDs Excel damaged, what lies below the
footer), then parse_batches() parses it BATCH rows at a time for the kind to check and write.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.extensions import db

from . import cells
from .reader import FileProblem
from .table import RowError, Table, data_rows

#: rows per INSERT/UPDATE statement (tests lower it to inject a failure midway)
CHUNK = 1000
#: data rows parsed, checked and written together (tests lower it to cross batches in a small file)
BATCH = 2000


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
    #: resident ID numbers: a column that Excel turned into numbers is refused as a whole
    ids: bool = False
    #: the setting (relief.config) that bounds a plausible value, and the message past it
    limit: str | None = None
    too_big: Callable[[Any, Any], str] | None = None
    #: the setting for the smallest plausible value other than 0, and the message below it
    floor: str | None = None
    too_small: Callable[[Any, Any], str] | None = None


#: the township and village of a row, as every sheet that names a village spells them
TOWNSHIP = Column("乡镇", "township", lambda v: cells.name(v, 64))
VILLAGE = Column("村", "village", lambda v: cells.name(v, 64))


@dataclass(slots=True)
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

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped

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
        """Add database and cross-row problems of one batch; plan its writes and return what they would do.

        Batches come in the file's order; what a later batch must know of the earlier ones (the
        keys seen, a kind's own tallies) is kept in ctx.seen and ctx.carry, not in the database:
        the earlier batches may not have been written (a dry run, a problem already found).
        """
        raise NotImplementedError

    def write(self, ctx: Context) -> None:
        """Carry out the plan made by check() for its batch."""
        raise NotImplementedError


@dataclass
class Context:
    user: Any
    today: Any
    config: dict
    #: filled by Kind.check for Kind.write, for one batch
    plan: dict = field(default_factory=dict)
    #: each natural key of the file's rows so far → the row it first came in (org.dedupe)
    seen: dict = field(default_factory=dict)
    #: what else a kind keeps from one batch of the file for the next
    carry: dict = field(default_factory=dict)


@dataclass
class Survey:
    """What a pass over the whole table finds before any row is parsed."""

    #: the data rows' numbers, in order (not the rows below the footer)
    numbers: array = field(default_factory=lambda: array("l"))
    #: for each ID column, the rows whose ID Excel damaged, with the message for each
    damaged: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.numbers)


def _columns(table: Table, kind: Kind) -> tuple[list[Column], list[int]]:
    """The kind's columns present in the table, and the indexes of those every row must fill."""
    present = [c for c in kind.columns if c.header in table.found]
    return present, [table.found[c.header] for c in present if c.required and c.cell_required]


def survey(table: Table, kind: Kind, problems: Problems, config) -> Survey:
    """Count the data rows and judge each ID column over the whole file; rows below the footer go to `problems`.

    Only the ID columns' cells are looked at; of each row only its number is kept, so that the
    parsing pass need not tell data rows from footers and 小计 rows again. A file with no data
    rows, or more than IMPORT_MAX_ROWS, is refused (FileProblem).
    """
    present, required = _columns(table, kind)
    ids = {c.header: (table.found[c.header], IdDamage()) for c in present if c.ids}
    out, below = Survey(), []
    for number, cells_ in data_rows(table, required):
        if number < 0:
            below.append(-number)
            continue
        out.numbers.append(number)
        for col, damage in ids.values():
            value = cells_[col] if col < len(cells_) else None
            damage.add(number, None if value == "" else value)
    out.damaged = {header: damage.verdict(header, table, problems) for header, (_col, damage) in ids.items()}
    for number in below:
        problems.add(number, next(iter(table.found), ""), _(
            "这一行在表尾（第%(row)d行“%(text)s”）下面，不会被导入；请删去表尾，或把这一行移到表尾上面",
            row=table.footer_row, text=table.footer_text[:20]))
    if out.rows > config["IMPORT_MAX_ROWS"]:
        raise FileProblem(_("文件有%(n)d行，超过一次导入的上限%(max)d行；请分成几个文件导入",
                            n=out.rows, max=config["IMPORT_MAX_ROWS"]))
    if not out.rows:
        raise FileProblem(_("表头下面没有数据行"))
    return out


def parse_batches(table: Table, kind: Kind, problems: Problems, config, surveyed: Survey) -> Iterator[list[Row]]:
    """The data rows survey() found, parsed BATCH at a time; cell, damage and plausibility problems go to `problems`.

    A row whose ID Excel damaged (Survey.damaged) is reported as such instead of being parsed.
    """
    found, damaged = table.found, surveyed.damaged
    present, _required = _columns(table, kind)
    numbers = iter(surveyed.numbers)
    wanted = next(numbers, None)
    batch: list[Row] = []
    for number, cells_ in enumerate(table.sheet.rows(table.header_row), start=table.header_row + 1):
        if wanted is None:
            break
        if number != wanted:
            continue
        wanted = next(numbers, None)
        row = Row(number, {}, {})
        for column in present:
            col = found[column.header]
            value = cells_[col] if col < len(cells_) else None
            if isinstance(value, str) and value == "":
                value = None
            row.raw[column.header] = value
            _parse_cell(row, column, value, damaged.get(column.header), problems, config)
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse_cell(row: Row, column: Column, value, damaged: dict[int, str] | None, problems: Problems, config) -> None:
    if cells.is_blank(value):
        row.values[column.key] = None
        if column.cell_required:
            problems.add(row, column.header, _("不能为空"))
        return
    if damaged and row.number in damaged:
        row.values[column.key] = None
        problems.add(row, column.header, damaged[row.number])
        return
    try:
        parsed = row.values[column.key] = column.parse(value)
    except cells.CellError as err:
        row.values[column.key] = None
        problems.add(row, column.header, str(err))
        return
    if column.limit and parsed is not None and parsed > config[column.limit]:
        row.values[column.key] = None
        problems.add(row, column.header, column.too_big(parsed, config[column.limit]))
    elif column.floor and parsed and parsed < config[column.floor]:
        row.values[column.key] = None
        problems.add(row, column.header, column.too_small(value, config[column.floor]))


#: the chance that real ID numbers end in 000 (the last two sequence digits 00, check digit 0)
_ZEROS_CHANCE = 1 / 1100


def several(n: int) -> int:
    """How many of n real ID numbers may end in 000 before it cannot be chance (p < one in a million)."""
    p = _ZEROS_CHANCE
    pmf = (1 - p) ** n
    below, k = pmf, 0
    while 1 - below >= 1e-6 and k < n:
        pmf *= (n - k) / (k + 1) * p / (1 - p)
        below += pmf
        k += 1
    return max(2, k + 1)


class IdDamage:
    """What Excel did to an ID column, tallied one cell at a time over the whole file.

    Excel keeps 15 significant digits of a number: an 18-digit ID typed into a number cell
    becomes 3.21311E+17, and formatting it back with 0 decimals shows …000. Once a column
    shows that, every …000 in it is suspect, also the one in eleven whose check digit passes.
    """

    def __init__(self):
        self.numbers: list[int] = []
        self.zeros: list[int] = []
        self.filled = 0

    def add(self, number: int, value) -> None:
        if type(value) is str and value.isascii() and value.isdigit():  # the usual cell: nothing to fold
            self.filled += 1
            if len(value) == 18 and value.endswith("000"):
                self.zeros.append(number)
            return
        if cells.is_blank(value):
            return
        self.filled += 1
        if cells.stored_as_number(value):
            self.numbers.append(number)
        elif re.fullmatch(r"\d{15}000", cells.id_text(value)):
            self.zeros.append(number)

    def verdict(self, header: str, table: Table, problems: Problems) -> dict[int, str]:
        """Rows whose ID Excel damaged, with the message for each; one message for the file on the header."""
        if not self.numbers and len(self.zeros) < several(self.filled):
            return {}
        out = dict.fromkeys(self.numbers, str(cells._stored_as_number()))
        out.update(dict.fromkeys(self.zeros, _("后三位是 000：这是被 Excel 改坏的号码，不是原来的身份证号")))
        listed = "、".join(str(n) for n in sorted(out)[:10]) + ("…" if len(out) > 10 else "")
        problems.add(table.header_row, header, _(
            "这一列被 Excel 当成数字，后三位变成了 000；请把这一列设为文本后重新粘贴原始号码"
            "（共%(n)d行：第%(rows)s行）", n=len(out), rows=listed))
        return out


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
