"""Turning one spreadsheet cell into a checked value, or a message that says what to fix.

Cells arrive as calamine gives them (str, float, int, bool, date, datetime) or as CSV text.
Text is folded (NFKC: full-width digits and letters become ASCII), trimmed, and inner runs of
spaces collapse; names lose every space; the apostrophe Excel users type to keep a number as
text ('321311…) is dropped. A blank cell is None; the caller decides whether that is allowed.
Enumerations also take the national rosters' words (relief.models.vocabulary).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _

from relief.dates import today
from relief.ids import id_number_error, mobile_error, normalise, phone_error
from relief.models.vocabulary import YES_NO, fold, lookup

_SPACES = re.compile(r"[\s\u3000]+")
#: control characters left after spaces are folded: no database or .xlsx export keeps them
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$")
#: a date, optionally followed by a time of day as Excel writes a date cell into CSV (2025/3/1 0:00)
_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?|(\d{2})(\d{2}))"
                   r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
#: the apostrophe (or a typographic quote) typed before a number to keep it as text
_QUOTE = "'\u2018\u2019`"


class CellError(ValueError):
    """The cell's value cannot be used; str(err) is the message for the user."""


class StoredAsNumber(CellError):
    """Excel kept an ID number as a number: its last digits are gone."""


def is_blank(value) -> bool:
    return value is None or (type(value) is str and not value.strip())


def text(value, max_len: int | None = None) -> str | None:
    """Folded, trimmed text with single spaces; None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    out = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    if out[:1] in _QUOTE:
        out = out[1:].lstrip()
    if _CONTROL.search(out):
        raise CellError(_("含有不可见的控制字符，请删除后重新导入"))
    if max_len and len(out) > max_len:
        raise CellError(_("不能超过%(n)d个字", n=max_len))
    return out or None


def name(value, max_len: int = 32) -> str | None:
    """A person's, village's or township's name: folded, without any spaces."""
    out = text(value, None)
    if out is None:
        return None
    out = out.replace(" ", "")
    if len(out) > max_len:
        raise CellError(_("不能超过%(n)d个字", n=max_len))
    return out


def id_number(value) -> str | None:
    """An 18-character resident ID, refused when Excel has turned it into a number."""
    if is_blank(value):
        return None
    if stored_as_number(value):
        raise StoredAsNumber(_stored_as_number())
    out = id_text(value)
    if problem := id_number_error(out, today()):
        raise CellError(problem)
    return out


def id_text(value) -> str:
    """An ID cell as text: folded, without spaces or the leading apostrophe."""
    return normalise(value).lstrip(_QUOTE)


def stored_as_number(value) -> bool:
    """A number cell, or the scientific notation Excel writes for one (3.21311E+17)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or bool(_SCIENTIFIC.match(normalise(value)))


def _stored_as_number() -> str:
    return _("身份证号被 Excel 存成了数字（如 3.2E+17），后几位已经丢失")


def phone(value, mobile_only: bool = False) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = normalise(value)
    bare = out.replace("-", "")
    if re.fullmatch(r"1\d{10}", bare):
        out = bare
    problem = mobile_error(out) if mobile_only else phone_error(out)
    if problem:
        raise CellError(problem)
    return out


def _decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return Decimal(normalise(value).replace(",", ""))


def integer(value, low: int, high: int | None = None) -> int | None:
    if is_blank(value):
        return None
    try:
        number = _decimal(value)
    except (InvalidOperation, ValueError):
        raise CellError(_("应为整数，如 %(example)d", example=max(low, 1))) from None
    if number != number.to_integral_value():
        raise CellError(_("应为整数，如 %(example)d", example=max(low, 1)))
    if high is None and number < low:
        raise CellError(_("应为不小于%(low)d的整数", low=low))
    if high is not None and not low <= number <= high:
        raise CellError(_("应在%(low)d到%(high)d之间", low=low, high=high))
    return int(number)


def year(value, earliest: int = 1980) -> int | None:
    if is_blank(value):
        return None
    try:
        out = integer(value, 1000, 9999)
    except CellError:
        raise CellError(_("应为四位年份，如 %(y)d", y=today().year)) from None
    if out < earliest:
        raise CellError(_("年份不能早于%(y)d年", y=earliest))
    if out > today().year:
        raise CellError(_("年份不能晚于今年（%(y)d年）", y=today().year))
    return out


def yuan(value, scale: int = 1) -> int | None:
    """Money as whole yuan; scale=10000 reads 万元 (15.2 → 152,000)."""
    if is_blank(value):
        return None
    try:
        number = _decimal(value) * scale
    except (InvalidOperation, ValueError):
        unit = _("万元") if scale == 10000 else _("元")
        raise CellError(_("应为数字（单位：%(unit)s），如 %(example)s", unit=unit,
                          example="15.2" if scale == 10000 else "8600")) from None
    if number < 0:
        raise CellError(_("不能为负数"))
    if number > 10**12:
        raise CellError(_("数额过大，请核对单位"))
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def coordinate(value, limit: int) -> float | None:
    if is_blank(value):
        return None
    try:
        number = float(_decimal(value))
    except (InvalidOperation, ValueError):
        raise CellError(_("应为数字（度），如 33.95")) from None
    if not -limit <= number <= limit:
        raise CellError(_("应在-%(n)d到%(n)d之间", n=limit))
    return number


def a_date(value) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        out = value.date()
    elif isinstance(value, date):
        out = value
    else:
        match = _DATE.match(text(value) or "")
        parts = [int(p) for p in match.groups() if p is not None] if match else []
        try:
            out = date(*parts)
        except (TypeError, ValueError):
            raise CellError(_("应为日期，如 2024-03-01；若是数字，请把这一列设置为“日期”格式")) from None
    if out > today():
        raise CellError(_("不能晚于今天"))
    if out.year < 1980:
        raise CellError(_("日期不合理，请核对"))
    return out


def yes_no(value) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    answer = YES_NO.get(fold(text(value)))
    if answer is not None:
        return answer
    raise CellError(_("应填“是”或“否”"))


def find_label(text_: str, enum_cls):
    """A member by its Chinese label, its value or a national roster's word for it; None if none."""
    return lookup(enum_cls, text_)


def label(value, enum_cls):
    """A member of a LabelledEnum by its Chinese label."""
    if is_blank(value):
        return None
    member = find_label(text(value), enum_cls)
    if member is None:
        raise CellError(_("应为以下之一：%(labels)s", labels="、".join(m.zh for m in enum_cls)))
    return member


def _amount(number) -> str:
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def wan_too_big(yuan_: int, limit: int) -> str:
    """A 万元 figure past its bound: most likely the amount in 元 typed into the 万元 column."""
    typed = yuan_ / 10000
    return _("%(typed)s万元超过了%(max)s万元的合理上限，看起来是把“元”填进了“万元”列；"
             "如果是%(typed)s元，应填%(fixed)s", typed=_amount(typed), max=_amount(limit / 10000),
             fixed=_amount(typed / 10000))


def yuan_too_big(yuan_: int, limit: int) -> str:
    return _("%(typed)s元超过了%(max)s万元的合理上限；请核对单位和位数（是否多打了几位，或填成了分、全家或全村的数？）",
             typed=_amount(yuan_), max=_amount(limit / 10000))


def yuan_too_small(typed, floor: int) -> str:
    """A 元 figure below its floor: most likely the amount in 万元 typed into the 元 column."""
    try:
        number = _decimal(typed)
    except (InvalidOperation, ValueError):
        number = Decimal(0)
    return _("%(typed)s元低于%(min)s元，不合理，看起来是把“万元”填进了“元”列；如果是%(typed)s万元，应填%(fixed)s",
             typed=_amount(number), min=_amount(floor), fixed=_amount(number * 10000))


def members_too_big(members: int, limit: int) -> str:
    return _("一户%(n)d人超过了%(max)d人的合理上限；请核对（是否填成了全村或全组的人数？）", n=members, max=limit)
