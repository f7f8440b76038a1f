"""GB 11643 ID numbers, phone numbers and masking."""
from datetime import date

import pytest

from relief.ids import check_digit, id_number_error, mask_id, mask_phone, normalise, phone_error


def test_published_example_id_has_a_valid_check_digit():
    assert id_number_error("11010519491231002X") is None  # the standard's own example


@pytest.mark.parametrize("value, fragment", [
    ("110105194912310021", "校验位"),
    ("11010519491331002X", "出生日期"),
    ("1101051949123100", "18位"),
    ("11010530000101002X", "出生日期"),
])
def test_bad_ids_are_refused_with_a_reason(value, fragment):
    body = value[:17]
    if fragment == "出生日期" and len(value) == 18:
        value = body + check_digit(body)  # a correct check digit: the date alone must fail
    assert fragment in id_number_error(value, today=date(2026, 1, 1))


def test_unknown_area_codes_are_accepted():
    body = "999999198001010010"[:17]
    assert id_number_error(body + check_digit(body)) is None


def test_normalise_folds_full_width_digits_spaces_and_lowercase_x():
    assert normalise(" １１０１０５ 19491231002x ") == "11010519491231002X"


def test_masking():
    assert mask_id("320123198001011234") == "320123********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id(None) == "" and mask_phone("") == ""


def test_phone_format():
    assert phone_error("13812345678") is None
    assert phone_error("0527-84412345") is None
    assert phone_error("12345") is not None
