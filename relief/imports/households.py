"""Import kind: households (贫困户, 监测户, 已脱贫户), identified by the head's 身份证号."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from relief.models import Household, HouseholdIncome, HouseholdStatus, MonitorCategory, PovertyCause, Township, Village
from relief.models.vocabulary import fold
from relief.monitoring import leads as monitoring_leads

from . import cells
from .base import TOWNSHIP, VILLAGE, Column, Context, Counts, Kind, changed, insert_rows, select_in, update_rows
from .org import dedupe, find_villages


def status(value):
    """贫困 / 已脱贫 / 监测户 or the national words for them (贫困户, 脱贫户, 监测对象 …), or a 监测户
    category itself (边缘易致贫户, 监测户(边缘易致贫户), 监测对象（脱贫不稳定户）)."""
    text = fold(cells.text(value) or "")
    member = cells.find_label(text, HouseholdStatus)
    if member is not None:
        return member, None
    inner = re.fullmatch(r"(?:防返贫|防止返贫)?监测(?:户|对象)?\((.+)\)", text)
    category = cells.find_label(inner.group(1) if inner else text, MonitorCategory)
    if category:
        return HouseholdStatus.MONITORED, category
    raise cells.CellError(_("应为以下之一：%(labels)s", labels="、".join(m.zh for m in HouseholdStatus)))


class Households(Kind):
    name = "households"
    label = _l("帮扶户")
    columns = (
        TOWNSHIP,
        VILLAGE,
        Column("户主姓名", "head_name", lambda v: cells.name(v, 32)),
        Column("身份证号", "id_number", cells.id_number, ids=True),
        Column("联系电话", "phone", cells.phone, required=False, cell_required=False),
        Column("家庭人口", "members", lambda v: cells.integer(v, 1), limit="IMPORT_MAX_HOUSEHOLD_MEMBERS",
               too_big=cells.members_too_big),
        Column("致贫原因", "cause", lambda v: cells.label(v, PovertyCause)),
        Column("状态", "status", status),
        Column("脱贫年度", "lifted_year", lambda v: cells.year(v, 1980), required=False, cell_required=False),
        Column("人均纯收入(元)", "income", cells.yuan, required=False, cell_required=False,
               limit="IMPORT_MAX_PER_CAPITA_YUAN", too_big=cells.yuan_too_big,
               floor="IMPORT_MIN_PER_CAPITA_YUAN", too_small=cells.yuan_too_small),
        # not in CONTRACT.md's list, but read when present (extra columns are otherwise ignored)
        Column("监测类别", "category", lambda v: cells.label(v, MonitorCategory), required=False, cell_required=False),
        Column("收入年度", "income_year", lambda v: cells.year(v, 2000), required=False, cell_required=False),
    )

    def check(self, rows, problems, ctx: Context) -> Counts:
        for row in rows:
            v = row.values
            if v.get("status") is None:
                continue
            state, category = v["status"]
            v["status"], v["category"] = state, v.get("category") or category
            if state is HouseholdStatus.LIFTED and v.get("lifted_year") is None and cells.is_blank(row.raw.get("脱贫年度")):
                problems.add(row, "脱贫年度", _("状态为已脱贫时必须填写脱贫年度"))
            if state is HouseholdStatus.MONITORED and v["category"] is None:
                # 脱贫不稳定户 had been lifted out before; otherwise the household is on the edge
                v["category"] = MonitorCategory.UNSTABLE if v.get("lifted_year") else MonitorCategory.MARGINAL
        villages = find_villages(rows, problems)
        good = dedupe(rows, lambda v: v["id_number"], problems, "身份证号", ctx.seen)
        existing = {r["id_number"]: dict(r) for r in (m._mapping for m in select_in(
            lambda keys: sa.select(Household.id, Household.id_number, Household.village_id, Household.head_name,
                                   Household.phone, Household.members, Household.cause, Household.status,
                                   Household.lifted_year, Household.monitor_category)
            .where(Household.id_number.in_(keys)), (r.values["id_number"] for r in good)))}
        places = self._places({old["village_id"] for old in existing.values()})
        income_year_default = ctx.today.year
        counts, new, updates, incomes = Counts(), [], [], []
        for row in good:
            v = row.values
            vid, tid = villages[(v["township"], v["village"])]
            old = existing.get(v["id_number"])
            if old is not None and old["village_id"] != vid:
                problems.add(row, "身份证号", _("该身份证号已登记在%(place)s（户主%(name)s），不能重复登记；请核对",
                                               place=places.get(old["village_id"], ""), name=old["head_name"]))
                continue
            wanted = {"head_name": v["head_name"], "members": v["members"], "cause": v["cause"],
                      "status": v["status"]}
            for key in ("phone", "lifted_year"):
                if v.get(key) is not None:
                    wanted[key] = v[key]
            if v["status"] is HouseholdStatus.MONITORED:
                wanted["monitor_category"] = v["category"]
            if v.get("income") is not None:
                incomes.append((v["id_number"], old["id"] if old else None, v.get("income_year") or income_year_default,
                                v["income"]))
            if old is None:
                new.append({"township_id": tid, "village_id": vid, "id_number": v["id_number"], "phone": None,
                            "lifted_year": None, "monitor_category": None, **wanted})
                counts.created += 1
            elif diff := changed(old, wanted):
                updates.append({"id": old["id"], **diff})
                counts.updated += 1
            else:
                counts.unchanged += 1
        income_plan, income_changes = self._plan_incomes(incomes)
        # a household whose only change is its income counts as updated, not unchanged
        touched = {hid for hid in income_changes} - {u["id"] for u in updates}
        counts.updated += len(touched)
        counts.unchanged -= len(touched)
        ctx.plan = {"new": new, "updates": updates, "incomes": income_plan,
                    "id_numbers": [r.values["id_number"] for r in good]}
        return counts

    @staticmethod
    def _places(village_ids: set) -> dict[int, str]:
        if not village_ids:
            return {}
        return {vid: f"{tname}{vname}" for vid, tname, vname in select_in(
            lambda keys: sa.select(Village.id, Township.name, Village.name)
            .join(Township, Township.id == Village.township_id).where(Village.id.in_(keys)), village_ids)}

    @staticmethod
    def _plan_incomes(incomes: list) -> tuple[dict, set]:
        """Incomes to insert (by ID number, for new households too) and to update; ids of touched households."""
        known = {hid for _number, hid, _year, _value in incomes if hid}
        existing = {}
        for iid, hid, year, value in select_in(
                lambda keys: sa.select(HouseholdIncome.id, HouseholdIncome.household_id, HouseholdIncome.year,
                                       HouseholdIncome.per_capita_yuan).where(HouseholdIncome.household_id.in_(keys)),
                known):
            existing[(hid, year)] = (iid, value)
        new, updates, touched = [], [], set()
        for id_number, hid, year, value in incomes:
            old = existing.get((hid, year)) if hid else None
            if old is None:
                new.append((id_number, year, value))
                if hid:
                    touched.add(hid)
            elif old[1] != value:
                updates.append({"id": old[0], "per_capita_yuan": value})
                touched.add(hid)
        return {"new": new, "updates": updates}, touched

    def write(self, ctx: Context) -> None:
        insert_rows(Household, ctx.plan["new"])
        update_rows(Household, ctx.plan["updates"])
        incomes = ctx.plan["incomes"]
        ids = dict(select_in(
            lambda keys: sa.select(Household.id_number, Household.id).where(Household.id_number.in_(keys)),
            (n for n, _year, _value in incomes["new"])))
        insert_rows(HouseholdIncome, [{"household_id": ids[n], "year": y, "per_capita_yuan": value}
                                      for n, y, value in incomes["new"]])
        update_rows(HouseholdIncome, incomes["updates"])
        # incomes may now fire a 防返贫 rule (below the line, a drop): the file's households are checked
        imported = [hid for _n, hid in select_in(
            lambda keys: sa.select(Household.id_number, Household.id).where(Household.id_number.in_(keys)),
            ctx.plan["id_numbers"])]
        monitoring_leads.scan(ctx.today, imported, user=ctx.user)

