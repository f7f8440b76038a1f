"""Import kinds for the organisation: villages (and their townships), cadres (and units), incomes."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from relief.extensions import db
from relief.models import Cadre, Rank, Township, Unit, Village, VillageIncome

from relief.geo.coords import CoordinateError, CoordSystem, parse_system, to_wgs84

from . import cells
from .base import TOWNSHIP, VILLAGE, Column, Context, Counts, Kind, Problems, Row, changed, insert_rows, select_in, update_rows


def dedupe(rows: list[Row], key, problems: Problems, column, first: dict) -> list[Row]:
    """Report rows repeating an earlier row's natural key; return the good, first-seen rows.

    column: the header the duplicate is reported under, or a function of the row giving it.
    first: each key seen so far in the file → its row (Context.seen), also from earlier batches.
    """
    out = []
    for row in rows:
        k = key(row.values)
        if any(part is None for part in (k if isinstance(k, tuple) else (k,))):
            continue
        if k in first:
            problems.add(row, column(row) if callable(column) else column, _("与第%(n)d行重复", n=first[k]))
            continue
        first[k] = row.number
        if not row.bad:
            out.append(row)
    return out


def find_villages(rows: list[Row], problems: Problems) -> dict[tuple[str, str], tuple[int, int]]:
    """(乡镇, 村) → (village id, township id) for the rows' villages; unknown ones are row errors."""
    names = {r.values.get("township") for r in rows if r.values.get("township")}
    townships = dict(db.session.execute(sa.select(Township.name, Township.id).where(Township.name.in_(names))).all()) \
        if names else {}
    villages = {}
    if townships:
        for vid, tid, vname in db.session.execute(
                sa.select(Village.id, Village.township_id, Village.name)
                .where(Village.township_id.in_(townships.values()))):
            villages[(tid, vname)] = (vid, tid)
    out = {}
    for row in rows:
        tname, vname = row.values.get("township"), row.values.get("village")
        if not tname or not vname:
            continue
        if tname not in townships:
            problems.add(row, "乡镇", _("没有名为“%(name)s”的乡镇；请先导入村庄名单", name=tname))
        elif (townships[tname], vname) not in villages:
            problems.add(row, "村", _("%(t)s没有名为“%(v)s”的村；请先导入村庄名单", t=tname, v=vname))
        else:
            out[(tname, vname)] = villages[(townships[tname], vname)]
    return out


def _coord_system(value) -> CoordSystem:
    try:
        return parse_system(cells.text(value))
    except CoordinateError as err:
        raise cells.CellError(str(err)) from None


class Villages(Kind):
    name = "villages"
    label = _l("村庄")
    columns = (
        TOWNSHIP,
        VILLAGE,
        Column("经济薄弱村", "is_weak", cells.yes_no),
        # a latitude beyond 90 is checked with its longitude below: usually the two were swapped
        Column("纬度", "lat", lambda v: cells.coordinate(v, 180), required=False, cell_required=False),
        Column("经度", "lng", lambda v: cells.coordinate(v, 180), required=False, cell_required=False),
        Column("年度目标(万元)", "target_yuan", lambda v: cells.yuan(v, 10000), required=False, cell_required=False,
               limit="IMPORT_MAX_VILLAGE_INCOME_YUAN", too_big=cells.wan_too_big),
        # the system the position was copied from (高德 and 腾讯 show GCJ-02, 百度 BD-09); stored as WGS-84
        Column("坐标系", "coord_system", _coord_system, required=False, cell_required=False),
    )

    def check(self, rows, problems, ctx: Context) -> Counts:
        for row in rows:
            v = row.values
            if (v.get("lat") is None) != (v.get("lng") is None) and not row.bad:
                problems.add(row, "经度" if v.get("lng") is None else "纬度", _("纬度和经度要么都填，要么都不填"))
            elif v.get("lat") is not None and not row.bad:
                system = v.get("coord_system") or CoordSystem.WGS84
                try:
                    v["lat"], v["lng"] = to_wgs84(v["lat"], v["lng"], system)
                    v["coord_system"] = system
                except CoordinateError as err:
                    problems.add(row, "纬度", str(err))
        good = dedupe(rows, lambda v: (v["township"], v["village"]), problems, "村", ctx.seen)
        names = {r.values["township"] for r in good}
        townships = dict(db.session.execute(
            sa.select(Township.name, Township.id).where(Township.name.in_(names))).all()) if names else {}
        existing = {}
        if townships:
            for row in db.session.execute(
                    sa.select(Village.id, Village.township_id, Village.name, Village.is_weak, Village.lat, Village.lng,
                              Village.coord_system, Village.target_yuan).where(Village.township_id.in_(townships.values()))).mappings():
                existing[(row["township_id"], row["name"])] = dict(row)
        counts, new, updates = Counts(), [], []
        for row in good:
            v = row.values
            wanted = {"is_weak": v["is_weak"]}
            for key in ("lat", "lng", "coord_system", "target_yuan"):
                if v.get(key) is not None:
                    wanted[key] = v[key]
            tid = townships.get(v["township"])
            old = existing.get((tid, v["village"])) if tid else None
            if old is None:
                new.append({"township": v["township"], "name": v["village"], "lat": None, "lng": None,
                            "coord_system": CoordSystem.WGS84, "target_yuan": None, **wanted})
                counts.created += 1
            elif diff := changed(old, wanted):
                updates.append({"id": old["id"], **diff})
                counts.updated += 1
            else:
                counts.unchanged += 1
        ctx.plan = {"townships": townships, "new": new, "updates": updates}
        return counts

    def write(self, ctx: Context) -> None:
        townships = dict(ctx.plan["townships"])
        missing = sorted({r["township"] for r in ctx.plan["new"]} - set(townships))
        insert_rows(Township, [{"name": n} for n in missing])
        townships.update(select_in(lambda keys: sa.select(Township.name, Township.id).where(Township.name.in_(keys)),
                                   missing))
        insert_rows(Village, [{"township_id": townships[r.pop("township")], **r} for r in ctx.plan["new"]])
        update_rows(Village, ctx.plan["updates"])


class Cadres(Kind):
    name = "cadres"
    label = _l("干部")
    columns = (
        Column("姓名", "name", lambda v: cells.name(v, 32)),
        Column("单位", "unit", lambda v: cells.name(v, 100)),
        Column("职务", "title", lambda v: cells.text(v, 64), required=False, cell_required=False),
        Column("职级", "rank", lambda v: cells.label(v, Rank), required=False, cell_required=False),
        Column("联系电话", "phone", lambda v: cells.phone(v, mobile_only=True)),
    )

    def check(self, rows, problems, ctx: Context) -> Counts:
        good = dedupe(rows, lambda v: v["phone"], problems, "联系电话", ctx.seen)
        units = dict(db.session.execute(sa.select(Unit.name, Unit.id)).all())
        existing = {r["phone"]: dict(r) for r in (m._mapping for m in select_in(
            lambda keys: sa.select(Cadre.id, Cadre.phone, Cadre.name, Cadre.unit_id, Cadre.title, Cadre.rank)
            .where(Cadre.phone.in_(keys)), (r.values["phone"] for r in good)))}
        counts, new, updates = Counts(), [], []
        for row in good:
            v = row.values
            wanted = {"name": v["name"]}
            if v.get("title") is not None:
                wanted["title"] = v["title"]
            if v.get("rank") is not None:
                wanted["rank"] = v["rank"]
            old = existing.get(v["phone"])
            if v["unit"] in units and old is not None:
                wanted["unit_id"] = units[v["unit"]]
            if old is None:
                new.append({"phone": v["phone"], "unit": v["unit"], "title": "", "rank": Rank.GENERAL, **wanted})
                counts.created += 1
            elif (diff := changed(old, wanted)) or v["unit"] not in units:
                updates.append({"id": old["id"], "unit": v["unit"], **diff})
                counts.updated += 1
            else:
                counts.unchanged += 1
        ctx.plan = {"units": units, "new": new, "updates": updates}
        return counts

    def write(self, ctx: Context) -> None:
        units = dict(ctx.plan["units"])
        wanted = {r["unit"] for r in ctx.plan["new"] + ctx.plan["updates"]}
        missing = sorted(wanted - set(units))
        insert_rows(Unit, [{"name": n} for n in missing])
        units.update(select_in(lambda keys: sa.select(Unit.name, Unit.id).where(Unit.name.in_(keys)), missing))
        insert_rows(Cadre, [{"unit_id": units[r.pop("unit")], **r} for r in ctx.plan["new"]])
        update_rows(Cadre, [{"unit_id": units[r.pop("unit")], **r} for r in ctx.plan["updates"]])


class Incomes(Kind):
    name = "incomes"
    label = _l("村集体经济收入")
    columns = (
        TOWNSHIP,
        VILLAGE,
        Column("年度", "year", lambda v: cells.year(v, 2000)),
        Column("集体经济收入(万元)", "income_yuan", lambda v: cells.yuan(v, 10000),
               limit="IMPORT_MAX_VILLAGE_INCOME_YUAN", too_big=cells.wan_too_big),
    )

    def check(self, rows, problems, ctx: Context) -> Counts:
        villages = find_villages(rows, problems)
        good = dedupe(rows, lambda v: (v["township"], v["village"], v["year"]), problems, "年度", ctx.seen)
        ids = {villages[(r.values["township"], r.values["village"])][0] for r in good}
        existing = {}
        if ids:
            for iid, vid, year, income in select_in(
                    lambda keys: sa.select(VillageIncome.id, VillageIncome.village_id, VillageIncome.year,
                                           VillageIncome.income_yuan).where(VillageIncome.village_id.in_(keys)), ids):
                existing[(vid, year)] = (iid, income)
        counts, new, updates = Counts(), [], []
        by = getattr(ctx.user, "id", None)
        for row in good:
            v = row.values
            vid = villages[(v["township"], v["village"])][0]
            old = existing.get((vid, v["year"]))
            if old is None:
                new.append({"village_id": vid, "year": v["year"], "income_yuan": v["income_yuan"], "updated_by_id": by})
                counts.created += 1
            elif old[1] != v["income_yuan"]:
                updates.append({"id": old[0], "income_yuan": v["income_yuan"], "updated_by_id": by})
                counts.updated += 1
            else:
                counts.unchanged += 1
        ctx.plan = {"new": new, "updates": updates}
        return counts

    def write(self, ctx: Context) -> None:
        insert_rows(VillageIncome, ctx.plan["new"])
        update_rows(VillageIncome, ctx.plan["updates"])
