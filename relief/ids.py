"""Chinese resident ID numbers (GB 11643) and phone numbers: validation and masking."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise(text) -> str:
    """Fold full-width characters, drop spaces and dashes, upper-case a trailing x."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s\u3000]", "", text).upper()


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def id_number_error(value: str, today: date | None = None) -> str | None:
    """Why an ID number is invalid, or None. Area codes are deliberately not checked."""
    if not _ID_SHAPE.match(value):
        return _("身份证号应为18位，前17位为数字，最后一位为数字或X")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("身份证号中的出生日期不存在")
    if born > (today or date.today()) or born.year < 1880:
        return _("身份证号中的出生日期不合理")
    if check_digit(value[:17]) != value[17]:
        return _("身份证号校验位不正确，请核对")
    return None


def phone_error(value: str) -> str | None:
    if _MOBILE.match(value) or _LANDLINE.match(value):
        return None
    return _("联系电话应为11位手机号或带区号的固话")


def mobile_error(value: str) -> str | None:
    return None if _MOBILE.match(value) else _("手机号应为以1开头的11位数字")


def mask_id(value: str | None) -> str:
    """320123********1234: the area code and the last four stay."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
