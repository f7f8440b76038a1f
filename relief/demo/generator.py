"""The demo's rows, generated with a seeded random number generator and written with bulk inserts."""
from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from relief.extensions import db
from relief.ids import check_digit
from relief.models import (
    Attendance,
    Cadre,
    Demand,
    Household,
    HouseholdIncome,
    IncomeTarget,
    Pairing,
    Project,
    ProjectUpdate,
    Township,
    Unit,
    Village,
    VillageIncome,
    Visit,
    utcnow,
)
from relief.pairings.attendance import days_so_far
from relief.reports.holidays import HOLIDAYS, window

from .district import (
    BASE_LAT,
    BASE_LNG,
    DEMANDS,
    FUNDING,
    GIVEN,
    LEADER_TITLES,
    NOTES,
    PROJECT_NAMES,
    SURNAMES,
    SUYU_CENTRES,
    SUYU_TOWNSHIPS,
    UNITS,
    VILLAGE_NOTES,
    VILLAGE_SUFFIX,
    VILLAGE_WORDS,
    Scale,
)

#: China Standard Time is UTC+8 all year
CST_OFFSET = timedelta(hours=8)


class _Ids:
    """Hand out primary keys so related rows can be inserted in bulk without a round trip."""

    def __init__(self):
        self.next = {}

    def __call__(self, table: str) -> int:
        self.next[table] = self.next.get(table, 0) + 1
        return self.next[table]


class Generator:
    CHUNK = 20_000

    def __init__(self, scale: Scale, rnd: random.Random, today: date, echo):
        self.s, self.rnd, self.today, self.echo = scale, rnd, today, echo
        self.ids = _Ids()
        self.start = today - timedelta(days=365)
        self.id_serial = 0
        self.phone_serial = 0
        self.buffers: dict = {}
        self.demo_cadre_id = None
        self.names: dict[int, str] = {}
        self.village_names: dict[int, str] = {}
        self.first_township_id = None
        #: every time the demo writes is at or before this (naive UTC, as the columns keep it)
        self.now = utcnow()
        self.holidays = []
        for year in (today.year - 1, today.year):
            for kind in HOLIDAYS:
                start, end = window(kind, year)
                if start <= today and end >= self.start:
                    self.holidays.append((kind, max(start, self.start), min(end, today)))

    # -- output ---------------------------------------------------------------------------
    def add(self, model, row: dict) -> None:
        buf = self.buffers.setdefault(model, [])
        buf.append(row)
        if len(buf) >= self.CHUNK:
            self.flush(model)

    def flush(self, model=None) -> None:
        order = [Township, Unit, Village, Cadre, Household, HouseholdIncome, Pairing, Attendance, Visit, Demand,
                 Project, ProjectUpdate, VillageIncome, IncomeTarget]
        for m in ([model] if model else order):
            rows = self.buffers.pop(m, None)
            if rows:
                if model is not None:
                    # rows may refer to rows of earlier models still buffered
                    for dep in order[: order.index(m)]:
                        self.flush(dep)
                db.session.execute(m.__table__.insert(), rows)

    # -- helpers --------------------------------------------------------------------------
    def name(self) -> str:
        return self.rnd.choice(SURNAMES) + "".join(self.rnd.choice(GIVEN) for _ in range(self.rnd.choice((1, 2))))

    def id_number(self) -> str:
        """A valid, unique ID: the serial picks a distinct (birth date, sequence) pair."""
        self.id_serial += 1
        k, seq = divmod(self.id_serial, 1000)
        born = date(1940, 1, 1) + timedelta(days=(k * 7919) % 21900)  # a bijection over 60 years
        body = f"321311{born:%Y%m%d}{seq:03d}"
        return body + check_digit(body)

    def phone(self, prefix: str = "139") -> str:
        self.phone_serial += 1
        return f"{prefix}{self.phone_serial:08d}"

    def day_between(self, start: date, end: date) -> date:
        span = (end - start).days
        return start + timedelta(days=self.rnd.randint(0, max(span, 0)))

    # -- the district ---------------------------------------------------------------------
    def run(self) -> None:
        s, rnd = self.s, self.rnd
        townships = []
        for i in range(s.townships):
            tid = self.ids("township")
            name = SUYU_TOWNSHIPS[i] if i < len(SUYU_TOWNSHIPS) else f"{SUYU_TOWNSHIPS[i % 20][:-1]}{i // 20 + 1}镇"
            self.add(Township, dict(id=tid, name=name))
            townships.append(tid)
        self.first_township_id = townships[0]

        units = []
        n_units = max(len(UNITS), s.weak_villages)
        for i in range(n_units):
            uid = self.ids("unit")
            name = UNITS[i] if i < len(UNITS) else f"{UNITS[i % len(UNITS)]}（{i // len(UNITS) + 1}）"
            self.add(Unit, dict(id=uid, name=name))
            units.append(uid)

        villages = []  # (id, township_id, lat, lng)
        for t_index, tid in enumerate(townships):
            tlat = BASE_LAT + (t_index % 45) * 0.05 - 0.1 + (t_index // 45) * 0.01
            tlng = BASE_LNG + (t_index // 45 % 45) * 0.05 - 0.1
            if t_index < len(SUYU_CENTRES):
                tlat, tlng = SUYU_CENTRES[t_index]
            used = set()
            for j in range(s.villages_per_township):
                vid = self.ids("village")
                word = VILLAGE_WORDS[j % len(VILLAGE_WORDS)]
                name = word + (VILLAGE_SUFFIX[0] if j < len(VILLAGE_WORDS) else f"{j // len(VILLAGE_WORDS)}组村")
                while name in used:
                    name = "新" + name
                used.add(name)
                self.village_names[vid] = name
                lat = round(tlat + rnd.uniform(-0.025, 0.025), 5)
                lng = round(tlng + rnd.uniform(-0.025, 0.025), 5)
                villages.append((vid, tid, lat, lng))
                self.add(Village, dict(id=vid, township_id=tid, name=name, is_weak=False, lat=lat, lng=lng,
                                       target_yuan=None, created_at=self.now))
        weak = rnd.sample(villages, s.weak_villages)
        weak_ids = {v[0] for v in weak}
        for row in self.buffers.get(Village, []):
            row["is_weak"] = row["id"] in weak_ids
        # Villages may already have been flushed in chunks at province scale.
        self.flush()
        if weak_ids:
            for chunk in _chunks(sorted(weak_ids), 5000):
                db.session.execute(sa.update(Village.__table__).where(Village.__table__.c.id.in_(chunk))
                                   .values(is_weak=True))
        self.echo(f"  {len(townships)} townships, {len(villages)} villages ({len(weak)} weak)")

        self._weak_villages(weak, units)
        self._households(villages)
        self.flush()

    def _cadre(self, unit_id: int, rank: str, title: str) -> int:
        cid = self.ids("cadre")
        self.add(Cadre, dict(id=cid, name=self.name(), unit_id=unit_id, title=title, rank=rank,
                             phone=self.phone(), is_active=True, created_at=self.now))
        return cid

    def _pairing(self, kind, cadre_id, village, household_id=None, role=None, started=None) -> int:
        pid = self.ids("pairing")
        self.add(Pairing, dict(id=pid, kind=kind, cadre_id=cadre_id, household_id=household_id, village_id=village[0],
                               township_id=village[1], role=role, started_on=started or self.start - timedelta(days=400),
                               ended_on=None, end_reason=None, created_by_id=None, created_at=self.now))
        return pid

    def _weak_villages(self, weak, units) -> None:
        """Each weak village: a linked district leader, a stationed cadre and a team of three."""
        rnd, year = self.rnd, self.today.year
        self.team_cadres = []
        leader_units = units[:5]
        for i, village in enumerate(weak):
            leader = self._cadre(leader_units[i % 5], "district_leader", LEADER_TITLES[i % len(LEADER_TITLES)])
            self._pairing("link", leader, village)
            unit = units[i % len(units)]
            stationed = self._cadre(unit, "section", "副科长")
            sp = self._pairing("stationed", stationed, village, role="first_secretary")
            team = [(self._cadre(unit, "section", "中层正职"), "team_leader"),
                    (self._cadre(unit, "general", "科员"), "member"),
                    (self._cadre(unit, "general", "科员"), "member")]
            team_pairings = [self._pairing("team", c, village, role=r) for c, r in team]
            self.team_cadres.extend(c for c, _ in team)
            for pid in [sp, *team_pairings]:
                for m in range(12):
                    month_start = (self.today.replace(day=1) - timedelta(days=31 * m)).replace(day=1)
                    days = rnd.choice((16, 19, 20, 21, 22, 22, 23, 24, 25))
                    # this month: no more days than have passed
                    days = min(days, days_so_far(month_start.year, month_start.month, self.today))
                    self.add(Attendance, dict(id=self.ids("attendance"), pairing_id=pid, year=month_start.year,
                                              month=month_start.month, days=days,
                                              recorded_by_id=None, updated_at=self.now))
            # three years of collective income, most villages reaching the 150,000 target last year
            base = rnd.randint(60_000, 120_000)
            for k, y in enumerate((year - 2, year - 1, year)):
                growth = base + k * rnd.randint(25_000, 60_000)
                if y == year:
                    growth = int(growth * rnd.uniform(0.5, 1.2))
                self.add(VillageIncome, dict(id=self.ids("village_income"), village_id=village[0], year=y,
                                             income_yuan=growth, updated_by_id=None, updated_at=self.now))
            for k in range(rnd.randint(2, 4)):
                ptype = rnd.choice(list(PROJECT_NAMES))
                status = rnd.choice(("planned", "building", "completed", "operating", "operating"))
                expected = rnd.randint(2, 8) * 10_000
                pid = self.ids("project")
                started = self.day_between(self.start, self.today - timedelta(days=30))
                self.add(Project, dict(
                    id=pid, village_id=village[0], township_id=village[1],
                    name=f"{PROJECT_NAMES[ptype]}{'二期' if k else ''}", type=ptype, status=status,
                    responsible_cadre_id=stationed, funding_source=rnd.choice(FUNDING),
                    funding_yuan=rnd.randint(10, 200) * 10_000, started_on=started,
                    finished_on=min(started + timedelta(days=180), self.today)
                    if status in ("completed", "operating") else None,
                    expected_income_yuan=expected,
                    actual_income_yuan=int(expected * rnd.uniform(0.6, 1.1)) if status == "operating" else 0,
                    households_benefited=rnd.randint(5, 60), people_benefited=rnd.randint(15, 200),
                    description="", created_at=self.now, updated_at=self.now))
                self.add(ProjectUpdate, dict(id=self.ids("project_update"), project_id=pid, on=started,
                                             text="项目立项，完成选址和资金落实。", status_from=None, status_to="planned",
                                             author_id=None, created_at=self.now))
            # field-stay visits by the leader and stationed work visits
            for cadre_id, kind, n in ((leader, "field_stay", 6), (stationed, "field_stay", 10)):
                for _ in range(n):
                    self._visit(cadre_id, village, None, kind, self.day_between(self.start, self.today))

    def _households(self, villages) -> None:
        s, rnd = self.s, self.rnd
        n_needing = int(s.households * (0.62 if s.households < 1000 else 0.30))
        cadres = list(self.team_cadres[: s.household_cadres // 2])
        units = list(range(1, max(len(UNITS), s.weak_villages) + 1))
        while len(cadres) < s.household_cadres:
            rank = "general" if rnd.random() < 0.8 else "section"
            cadres.append(self._cadre(rnd.choice(units), rank, "科员" if rank == "general" else "科长"))
        # each cadre takes one or two households; the demo cadre takes exactly two
        capacity = [(c, 2 if rnd.random() < 0.45 else 1) for c in cadres]
        capacity[0] = (capacity[0][0], 2)
        self.demo_cadre_id = capacity[0][0]
        slots = [c for c, n in capacity for _ in range(n)]
        # every household in need gets a cadre: never more in need than there are places
        n_needing = min(n_needing, len(slots))
        self.echo(f"  {self.ids.next.get('cadre', 0)} cadres")
        causes = ["illness", "illness", "disability", "schooling", "disaster", "no_skills", "no_labour", "no_funds",
                  "no_land", "no_drive", "other"]
        visits_target = s.visits_per_household
        for i in range(s.households):
            village = villages[i % len(villages)] if i >= len(slots) or rnd.random() < 0.5 else rnd.choice(villages)
            hid = self.ids("household")
            needing = i < n_needing
            if needing:
                status = "monitored" if rnd.random() < 0.25 else "poor"
            else:
                status = "lifted"
            self.add(Household, dict(
                id=hid, township_id=village[1], village_id=village[0], head_name=(head := self.name()),
                id_number=self.id_number(), phone=self.phone("13"+str(rnd.randint(5, 9))) if rnd.random() < 0.9 else None,
                members=rnd.randint(1, 6), cause=rnd.choice(causes), status=status,
                lifted_year=rnd.randint(self.today.year - 5, self.today.year) if status == "lifted" else None,
                monitor_category=rnd.choice(("unstable", "marginal", "sudden")) if status == "monitored" else None,
                monitor_identified_on=self.start if status == "monitored" else None, monitor_cleared_on=None,
                check_food_clothing=True, check_education=True, check_medical=rnd.random() > 0.05,
                check_housing=rnd.random() > 0.08, check_water=True,
                checks_on=self.day_between(self.start, self.today), created_at=self.now, updated_at=self.now))
            for y in (self.today.year - 2, self.today.year - 1):
                self.add(HouseholdIncome, dict(id=self.ids("household_income"), household_id=hid, year=y,
                                               per_capita_yuan=rnd.randint(4_000, 14_000)))
            self.names[hid] = head
            if i < len(slots):
                cadre_id = slots[i]
                started = self.start - timedelta(days=rnd.randint(30, 700))
                self._pairing("household", cadre_id, village, household_id=hid, started=started)
                self._household_visits(cadre_id, village, hid, visits_target, demo=cadre_id == self.demo_cadre_id)

    def _household_visits(self, cadre_id, village, hid, mean, demo=False) -> None:
        rnd = self.rnd
        n = max(1, int(rnd.gauss(mean, mean / 4)))
        # a few cadres fall behind: their last visit is long ago (due / overdue on the home page)
        end = self.today if rnd.random() > 0.12 else self.today - timedelta(days=rnd.randint(35, 90))
        if demo:
            end = self.today - timedelta(days=2)
        days = sorted(self.day_between(self.start, end) for _ in range(n - 1)) + [end]
        for d in days:
            kind = "phone" if rnd.random() < 0.08 else "routine"
            self._visit(cadre_id, village, hid, kind, d)
        for kind, hstart, hend in self.holidays:
            if rnd.random() < 0.93 or demo:
                self._visit(cadre_id, village, hid, kind, self.day_between(hstart, hend))

    def _visit(self, cadre_id, village, hid, kind, day) -> None:
        rnd = self.rnd
        vid = self.ids("visit")
        recorded = datetime(day.year, day.month, day.day, rnd.randint(1, 10), rnd.randint(0, 59)) + \
            timedelta(hours=rnd.choice((0, 0, 0, 6, 24)))
        # typed in on the day it claims (China time) or later, and never later than now
        recorded = max(min(recorded, self.now - timedelta(minutes=5)), datetime.combine(day, time.min) - CST_OFFSET)
        has_gps = kind != "phone" and rnd.random() < 0.85
        # a diary line of its own: who, when, what (identical lines on many visits are a fabrication sign)
        if hid is not None:
            notes = f"{day.month}月{day.day}日到{self.names[hid]}家，{rnd.choice(NOTES)}"
        else:
            notes = (f"{day.month}月{day.day}日在{self.village_names[village[0]]}，{rnd.choice(VILLAGE_NOTES)}"
                     f"走访农户{rnd.randint(3, 15)}户。")
        self.add(Visit, dict(
            id=vid, client_uuid=str(uuid.UUID(int=rnd.getrandbits(128), version=4)), cadre_id=cadre_id,
            household_id=hid, village_id=village[0], township_id=village[1], kind=kind, visited_on=day,
            recorded_at=recorded, notes=notes, aid_yuan=rnd.choice((0, 0, 0, 200, 500)) if kind != "phone" else 0,
            lat=round(village[2] + rnd.uniform(-0.004, 0.004), 6) if has_gps else None,
            lng=round(village[3] + rnd.uniform(-0.004, 0.004), 6) if has_gps else None,
            accuracy_m=round(rnd.uniform(5, 60), 1) if has_gps else None,
            content_hash=hashlib.sha256(f"{vid}".encode()).hexdigest(), created_by_id=None,
            updated_at=None, updated_by_id=None))
        if hid is not None and rnd.random() < 0.1:
            deadline = day + timedelta(days=30)
            # most past-deadline demands are settled; some are not (overdue), recent ones mostly open
            settled = rnd.random() < (0.9 if deadline < self.today else 0.3)
            status = "resolved" if settled and rnd.random() < 0.92 else ("cannot_resolve" if settled else
                                                                          rnd.choice(("open", "in_progress")))
            resolved_on = self.day_between(day, min(deadline, self.today)) if status == "resolved" else None
            self.add(Demand, dict(
                id=self.ids("demand"), visit_id=vid, household_id=hid, village_id=village[0],
                township_id=village[1], owner_id=cadre_id, text=rnd.choice(DEMANDS), raised_on=day,
                deadline=deadline, status=status, resolved_on=resolved_on,
                resolution="已协调相关部门办理完毕" if status == "resolved" else None, resolved_in_visit_id=None,
                reason="超出政策范围，已向群众解释" if status == "cannot_resolve" else None,
                created_at=self.now, updated_at=self.now))



def _chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]

