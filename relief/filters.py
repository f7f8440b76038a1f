"""The list pages' filters: query parameters become SQL conditions and the words that say them.

A list page makes a Filters from its request and reads the parameters it accepts; each reader adds
its condition to `where` and its words to `applied`, with the parameters that removing it drops,
so the page says which filters are in force and offers to clear each. Township, cadre, village and
household ids are looked up through relief.scope: one the user may not see is a 404, as for that
row's own page. A value that cannot be read is never dropped silently: `check()` answers 400 with
one message per parameter saying what it should be, and a link to the list without them.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from relief import dates
from relief.errors import abort_with
from relief.extensions import db
from relief.models import Cadre, Household, Township, Village
from relief.scope import get_scoped_or_404, picks_township, scoped, township_of_request

#: periods reach back to the first year relief keeps and at most a year ahead
FIRST_YEAR = dates.FIRST_YEAR
_PERIOD = re.compile(r"^(\d{4})(?:-(?:[Qq]([1-4])|(\d{1,2})))?$")


@dataclass(frozen=True)
class Period:
    """A year, a quarter or a month, as a list filter and a link write it: 2025, 2025-Q3, 2025-07."""

    value: str
    first: date
    last: date

    @property
    def label(self) -> str:
        year, rest = self.value[:4], self.value[5:]
        if not rest:
            return _("%(y)s年", y=year)
        if rest.upper().startswith("Q"):
            return _("%(y)s年第%(q)s季度", y=year, q=rest[1:])
        return _("%(y)s年%(m)d月", y=year, m=int(rest))


def year_period(year: int) -> Period:
    return Period(f"{year:04d}", date(year, 1, 1), date(year, 12, 31))


def quarter_period(year: int, quarter: int) -> Period:
    last_month = 3 * quarter
    return Period(f"{year:04d}-Q{quarter}", date(year, last_month - 2, 1), _month_end(year, last_month))


def month_period(year: int, month: int) -> Period:
    return Period(f"{year:04d}-{month:02d}", date(year, month, 1), _month_end(year, month))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(raw: str, today: date) -> Period:
    """2025, 2025-Q3 or 2025-07 (2000 to next year); ValueError with a message otherwise."""
    match = _PERIOD.match(raw.strip())
    year = int(match.group(1)) if match else 0
    if not match or not FIRST_YEAR <= year <= today.year + 1:
        raise ValueError(_("时段“%(raw)s”无效：应为 %(lo)d 到 %(hi)d 之间的年份（如 %(y)d）、季度（如 %(y)d-Q3）"
                           "或月份（如 %(y)d-07）", raw=raw[:20], lo=FIRST_YEAR, hi=today.year + 1, y=today.year))
    if match.group(2):
        return quarter_period(year, int(match.group(2)))
    if match.group(3):
        month = int(match.group(3))
        if not 1 <= month <= 12:
            raise ValueError(_("时段“%(raw)s”无效：月份应为 1 到 12", raw=raw[:20]))
        return month_period(year, month)
    return year_period(year)


@dataclass
class Applied:
    """One filter in force: its words, and the query parameters that removing it drops."""

    label: str
    keys: tuple[str, ...]


@dataclass
class Filters:
    args: object = None
    user: object = None
    today: date | None = None
    where: list = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    #: the list is narrowed to one cadre's rows (the work record's figures): see scope.count_outside
    one_cadre: bool = False
    _found: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.args = request.args if self.args is None else self.args
        self.user = current_user if self.user is None else self.user
        self.today = self.today or dates.today()

    # -- the result ---------------------------------------------------------------------------
    def add(self, condition, label: str, *keys: str) -> None:
        if condition is not None:
            self.where.append(condition)
        self.applied.append(Applied(label, keys))

    def bad(self, key: str, message: str) -> None:
        self.problems.setdefault(key, message)

    def check(self) -> Filters:
        """A 400 that names every filter that could not be read, with a link to the list without them."""
        if self.problems:
            abort_with(400, _("筛选条件有误：%(problems)s", problems="；".join(self.problems.values())),
                       link=(self.without(*self.problems), _("去掉有误的条件")))
        return self

    def without(self, *keys: str) -> str:
        """This list with the given parameters (and the page number) removed."""
        args = [(k, v) for k, v in self.args.items(multi=True) if k not in keys and k != "page"]
        return url_for(request.endpoint, **(request.view_args or {})) + _query(args)

    def replaced(self, **values) -> str:
        """This list with the given parameters set (None removes one) and the page number removed."""
        args = [(k, v) for k, v in self.args.items(multi=True) if k not in values and k != "page"]
        args += [(k, v) for k, v in values.items() if v is not None]
        return url_for(request.endpoint, **(request.view_args or {})) + _query(args)

    def clear_url(self) -> str:
        return self.without(*{k for a in self.applied for k in a.keys})

    # -- readers: the value, or None when absent or unreadable (a problem is recorded) ---------
    def raw(self, key: str) -> str:
        return (self.args.get(key) or "").strip()

    def whole(self, key: str, lo: int, hi: int, what: str) -> int | None:
        raw = self.raw(key)
        if not raw:
            return None
        if raw.isdecimal() and len(raw) <= 9 and lo <= int(raw) <= hi:
            return int(raw)
        self.bad(key, _("%(what)s“%(raw)s”无效：应为 %(lo)d 到 %(hi)d 之间的整数",
                        what=what, raw=raw[:20], lo=lo, hi=hi))
        return None

    def choice(self, key: str, choices: dict[str, str], what: str) -> str | None:
        """One of `choices` (value -> words); anything else is a problem listing them."""
        raw = self.raw(key)
        if not raw:
            return None
        if raw in choices:
            return raw
        self.bad(key, _("%(what)s“%(raw)s”无效：可选 %(options)s", what=what, raw=raw[:20],
                        options="、".join(f"{v}（{label}）" for v, label in choices.items())))
        return None

    def enum(self, key: str, enum_cls, what: str):
        """A LabelledEnum member by its value or Chinese label."""
        raw = self.raw(key)
        if not raw:
            return None
        member = enum_cls.from_label(raw)
        if member is None:
            self.bad(key, _("%(what)s“%(raw)s”无效：可选 %(options)s", what=what, raw=raw[:20],
                            options="、".join(m.label for m in enum_cls)))
        return member

    def year(self, key: str = "year") -> int | None:
        return self.whole(key, FIRST_YEAR, self.today.year + 1, _("年度"))

    def period(self, key: str = "period") -> Period | None:
        raw = self.raw(key)
        if not raw:
            return None
        try:
            return parse_period(raw, self.today)
        except ValueError as err:
            self.bad(key, str(err))
            return None

    def township(self, key: str = "township"):
        """The township asked for, through scope (404 when the user may not see it); None when absent."""
        if not self.raw(key):
            return None
        if ("township", key) not in self._found:
            self._found["township", key] = township_of_request(self.raw(key), self.user)
        return self._found["township", key]

    # -- the filters several lists share: a search, a kind, the township, village, household and
    #    cadre of their rows ---
    def of_text(self, label: str, *columns) -> str:
        """?q=text: the rows of which one of `columns` contains the text as typed; `label` is the
        translated words that say so, with %(q)s for the text."""
        q = self.raw("q")
        if q:
            self.add(sa.or_(*(c.contains(q, autoescape=True) for c in columns)), label % {"q": q}, "q")
        return q

    def of_enum(self, column, key: str, enum_cls, what: str, label: str):
        """?key=a member of `enum_cls` (its value or label): the rows whose `column` is it; `label` is
        the translated words that say so, with %(s)s for the member's label."""
        member = self.enum(key, enum_cls, what)
        if member:
            self.add(column == member, label % {"s": member.label}, key)
        return member

    def of_township(self, column):
        """?township=ID or a name: the rows whose `column` is that township's."""
        township = self.township()
        if township:
            self.add(column == township.id, _("乡镇：%(name)s", name=township.name), "township")
        return township

    def of_village(self, column):
        """?village=ID: the rows whose `column` is that village's."""
        village = self.row("village", Village, _("村"))
        if village:
            self.add(column == village.id, _("村：%(name)s", name=village.name), "village")
        return village

    def of_household(self, column):
        """?household=ID: the rows whose `column` is that household's."""
        household = self.row("household", Household, _("帮扶户"))
        if household:
            self.add(column == household.id, _("帮扶户：%(name)s", name=household.head_name), "household")
        return household

    def of_cadre(self, column, label: str, key: str = "cadre", what: str | None = None):
        """?cadre=ID (or `key`): one cadre's rows, as the work record's figures link here (the list
        then says how many of them lie beyond the user's scope: one_cadre). `label` is the
        translated words that say so, with %(name)s for the cadre's name."""
        cadre = self.row(key, Cadre, what or _("干部"))
        if cadre:
            self.one_cadre = True
            self.add(column == cadre.id, label % {"name": cadre.name}, key)
        return cadre

    def row(self, key: str, model, what: str):
        """A cadre, village or household by id, through scope: a 404 when the user may not see it."""
        raw = self.raw(key)
        if not raw:
            return None
        if not (raw.isdecimal() and len(raw) <= 9):
            self.bad(key, _("%(what)s编号“%(raw)s”无效：应为数字", what=what, raw=raw[:20]))
            return None
        if (model, key) not in self._found:
            self._found[model, key] = get_scoped_or_404(model, raw, self.user)
        return self._found[model, key]


def township_choices(user) -> list:
    """The townships a list's filter offers (id and name, by name): those the user may see; none for
    a leader, whom every list holds to the own township."""
    if not picks_township(user):
        return []
    return db.session.execute(scoped(sa.select(Township.id, Township.name), user, Township)
                              .order_by(Township.name)).all()


def _query(pairs: list[tuple[str, str]]) -> str:
    return "?" + urlencode(pairs) if pairs else ""
