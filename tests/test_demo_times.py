"""A freshly generated demo never claims a time that has not come yet: every timestamp it writes
is at or before now, every date is at or before today (China time) except the deadlines demands
and monitoring steps are given, and no month's attendance counts more days than have passed."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import Attendance, Visit
from relief.pairings.attendance import days_so_far


#: dates that are meant to lie ahead: deadlines
FUTURE_BY_DESIGN = {("demand", "deadline"), ("monitor_case", "step_due_on"), ("risk_lead", "due_on"),
                    ("monitor_step_record", "due_on")}


def test_no_timestamp_or_date_of_the_demo_is_in_the_future(demo):
    now, day = demo, today()
    checked, late = 0, []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            kind = type(column.type).__name__
            if kind not in ("DateTime", "Date") or (table.name, column.name) in FUTURE_BY_DESIGN:
                continue
            latest = db.session.scalar(sa.select(sa.func.max(column)))
            if latest is None:
                continue
            checked += 1
            limit = now if kind == "DateTime" else day
            if latest > limit:
                late.append((table.name, column.name, latest))
    assert late == []
    assert checked >= 15  # recorded_at, created_at and updated_at, visit and start dates, ...


def test_visits_are_recorded_on_or_after_the_day_they_claim(demo):
    """Recorded (UTC, shown in China time) on the claimed day or later, and never after now."""
    stmt = sa.select(Visit.visited_on, sa.func.min(Visit.recorded_at), sa.func.max(Visit.recorded_at)) \
        .group_by(Visit.visited_on)
    for day, first, last in db.session.execute(stmt):
        assert (first + timedelta(hours=8)).date() >= day, (day, first)
        assert last <= demo, (day, last)
    assert db.session.scalar(sa.select(sa.func.max(Visit.visited_on))) <= today()


def test_attendance_counts_no_more_days_than_have_passed(demo):
    day = today()
    rows = db.session.execute(sa.select(Attendance.year, Attendance.month, sa.func.max(Attendance.days))
                              .group_by(Attendance.year, Attendance.month)).all()
    assert rows
    for year, month, most in rows:
        assert (year, month) <= (day.year, day.month)
        assert most <= days_so_far(year, month, day), (year, month, most)
