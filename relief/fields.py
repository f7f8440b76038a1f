"""Form fields with Chinese messages: money entered in 万元 (kept as integer yuan), whole numbers, dates."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter
from wtforms import StringField
from wtforms.validators import StopValidation

#: larger amounts are almost certainly yuan typed where 万元 was asked for
MAX_YUAN = 10**12


class MoneyError(ValueError):
    """Text that is not an amount of money; the message says what to fix."""


def parse_wan(text: str | None) -> int | None:
    """'12.3456' (万元) → 123456 yuan exactly; None for empty text.

    Refuses non-numbers, negatives and fractions of a yuan (more than four decimals).
    """
    raw = (text or "").strip().replace(",", "").replace("，", "").replace(" ", "")
    for unit in ("万元", "万"):
        raw = raw.removesuffix(unit)
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(_("“%(text)s”不是数字：请填写以万元为单位的金额，例如 12.5", text=text.strip())) from None
    if not amount.is_finite():
        raise MoneyError(_("“%(text)s”不是数字：请填写以万元为单位的金额，例如 12.5", text=text.strip()))
    if amount < 0:
        raise MoneyError(_("金额不能为负数"))
    yuan = amount * 10_000
    if yuan != yuan.to_integral_value():
        raise MoneyError(_("金额精确到元即可：万元后最多保留4位小数"))
    if yuan > MAX_YUAN:
        raise MoneyError(_("金额过大：请确认单位是万元"))
    return int(yuan)


def wan_text(yuan: int | None) -> str:
    """123456 → '12.3456': yuan shown back in 万元 without losing a yuan or adding zeros."""
    if yuan is None:
        return ""
    text = format(Decimal(yuan) / 10_000, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class _ParsedField(StringField):
    """A text input parsed into a value; a parse error becomes the field's message."""

    def __init__(self, label=None, validators=None, required: bool = True, required_message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.required_message = required_message
        self.raw: str | None = None
        self.parse_error: str | None = None

    def parse(self, text: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data, self.parse_error = None, None
        if not self.raw.strip():
            if self.required:
                self.parse_error = str(self.required_message or _("请填写此项"))
            return
        try:
            self.data = self.parse(self.raw)
        except ValueError as err:
            self.parse_error = str(err)

    def pre_validate(self, form):
        if self.parse_error:
            raise StopValidation(self.parse_error)

    def _value(self):
        if self.raw is not None:
            return self.raw
        return self.show(self.data) if self.data is not None else ""

    def show(self, value) -> str:
        return str(value)


class WanField(_ParsedField):
    """An amount in 万元 with up to four decimals; `data` is integer yuan."""

    def parse(self, text):
        return parse_wan(text)

    def show(self, value):
        return wan_text(value)


class WholeNumberField(_ParsedField):
    """A whole number between `minimum` and `maximum`."""

    def __init__(self, label=None, validators=None, minimum: int = 0, maximum: int = 10**9, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def parse(self, text):
        raw = text.strip()
        if not raw.lstrip("-").isdecimal() or len(raw) > 12:
            raise ValueError(_("请填写整数"))
        value = int(raw)
        if not self.minimum <= value <= self.maximum:
            raise ValueError(_("应在 %(lo)d 到 %(hi)d 之间", lo=self.minimum, hi=self.maximum))
        return value


class DayField(_ParsedField):
    """A calendar date as YYYY-MM-DD (the browser's date picker sends that)."""

    def parse(self, text):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(_("日期格式应为 年-月-日，例如 2025-03-01")) from None

    def show(self, value):
        return value.isoformat()


#: 32-bit signed integer columns (PostgreSQL "integer"): larger numbers can name no row
DB_INT_MAX = 2_147_483_647


def db_int(value) -> int:
    """A query-string number usable as an id or a page: out of range raises ValueError (→ the default)."""
    number = int(value)
    if not 0 <= number <= DB_INT_MAX:
        raise ValueError(value)
    return number


def refused_status() -> int:
    """The status of a form page: 422 when it is shown again because a POST was refused."""
    from flask import request

    return 422 if request.method == "POST" else 200


class RowIdConverter(IntegerConverter):
    """<int:...> in a URL: a number larger than any row id (/users/10^20) does not match: 404, not 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, DB_INT_MAX if max is None else max, signed)


def year_int(value) -> int:
    """A query-string year that the calendar functions accept (1900-2100), else ValueError."""
    number = int(value)
    if not 1900 <= number <= 2100:
        raise ValueError(value)
    return number
