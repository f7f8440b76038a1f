"""How a rate is shown: one rule for every page, the export and the yearly report.

A rate is shown as a whole percentage, rounded down: 16 of 18 households (88.9 %) read 88 %.
Rounded down because a rate short of the whole must never read as the whole (199 of 200 visited
is not 100 %), and because the progress bands start at 60 % and 100 % (relief.targets): 59.9 %
of the target reads 59 % beside its red band, never 60 %. The map's progress figures follow the
same rule. The export writes the same rounded value as a fraction (0.88) formatted as a percentage,
so a workbook shows what the pages show.
"""
from __future__ import annotations

from fractions import Fraction


def percent(numerator: float | int | Fraction, denominator: int | None = None) -> int:
    """The whole percentage, rounded down: percent(16, 18) == percent(16 / 18) == 88.

    With a denominator the count is exact; a float ratio is read as the nearest fraction with a
    small denominator first, so that 0.29 (29 of 100, stored as 0.28999…) is 29 and not 28.
    A zero denominator is 0 %.
    """
    if denominator is not None:
        if not denominator:
            return 0
        ratio = Fraction(int(numerator), int(denominator))
    elif isinstance(numerator, Fraction):
        ratio = numerator
    else:
        ratio = Fraction(numerator).limit_denominator(1_000_000)
    return int(ratio * 100 // 1)


def percent_text(numerator, denominator: int | None = None) -> str:
    """'88%' (the same in every language)."""
    return f"{percent(numerator, denominator)}%"


def shown_fraction(numerator, denominator: int | None = None) -> float:
    """The shown percentage as a fraction 0-1 (0.88), for the export's percentage cells."""
    return percent(numerator, denominator) / 100
