"""Turning one spreadsheet cell into a checked value, or a message that says what to fix.

Cells arrive as calamine gives them (str, float, int, bool, date, datetime) or as CSV text.
Text is folded (NFKC: full-width digits and letters become ASCII), trimmed, and inner runs of
spaces collapse; names lose every space. A blank cell is None; the caller decides whether
that is allowed.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _

from relief.dates import today
from relief.ids import id_number_error, mobile_error, normalise, phone_error

_SPACES = re.compile(r"[\s\u3000]+")
#: control characters left after spaces are folded: no database or .xlsx export keeps them
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S")
_YES = {"是", "Y", "YES", "TRUE", "1", "√"}
_NO = {"否", "N", "NO", "FALSE", "0", "×"}


class CellError(ValueError):
    """The cell's value cannot be used; str(err) is the message for the user."""


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
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(_stored_as_number())
    out = normalise(value)
    if _SCIENTIFIC.match(out):
        raise CellError(_stored_as_number())
    if problem := id_number_error(out, today()):
        raise CellError(problem)
    return out


def _stored_as_number() -> str:
    return _("身份证号被 Excel 存成了数字（如 3.2E+17），后几位已经丢失；请把这一列设置为“文本”格式，"
             "重新填写身份证号后再导入")


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


def integer(value, low: int, high: int) -> int | None:
    if is_blank(value):
        return None
    try:
        number = _decimal(value)
    except (InvalidOperation, ValueError):
        raise CellError(_("应为整数，如 %(example)d", example=max(low, 1))) from None
    if number != number.to_integral_value():
        raise CellError(_("应为整数，如 %(example)d", example=max(low, 1)))
    if not low <= number <= high:
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
        raw = text(value) or ""
        out = None
        for fmt in _DATE_FORMATS:
            try:
                out = datetime.strptime(raw, fmt).date()
                break
            except ValueError:
                continue
        if out is None:
            raise CellError(_("应为日期，如 2024-03-01；若是数字，请把这一列设置为“日期”格式"))
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
    key = normalise(text(value))
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError(_("应填“是”或“否”"))


_LABELS: dict[type, dict[str, object]] = {}


def find_label(text_: str, enum_cls):
    """LabelledEnum.from_label through a per-class dictionary (called for every row)."""
    table = _LABELS.get(enum_cls)
    if table is None:
        table = _LABELS[enum_cls] = {**{m.value: m for m in enum_cls}, **{m.zh: m for m in enum_cls}}
    return table.get(text_) or enum_cls.from_label(text_)


def label(value, enum_cls):
    """A member of a LabelledEnum by its Chinese label."""
    if is_blank(value):
        return None
    member = find_label(text(value), enum_cls)
    if member is None:
        raise CellError(_("应为以下之一：%(labels)s", labels="、".join(m.zh for m in enum_cls)))
    return member
