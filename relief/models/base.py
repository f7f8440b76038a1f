"""Shared column helpers for the models."""
from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext


def N_(text: str) -> str:
    """Mark a label for translation; it is translated where it is shown."""
    return text


def utcnow() -> datetime:
    """Now in UTC, naive, as every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


class LabelledEnum(str, enum.Enum):
    """A string enum stored by its English value and shown by its Chinese label."""

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = label
        return obj

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """The label in the current locale (Chinese msgids, English catalog)."""
        return gettext(self.zh)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def from_label(cls, text: str):
        """Find a member by its Chinese label or value; None when nothing matches."""
        text = (text or "").strip()
        for m in cls:
            if text in (m.zh, m.value):
                return m
        return None


def enum_column(enum_cls, name: str | None = None, **kw):
    """A VARCHAR column with a CHECK constraint listing the enum's values."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
        **kw,
    )


def money_check(column: str) -> sa.CheckConstraint:
    """Money is integer yuan and never negative."""
    return sa.CheckConstraint(f"{column} >= 0", name=f"{column}_nonneg")
