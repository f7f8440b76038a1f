"""Import kind: pairings of cadres with households (户结对) or villages (挂钩, 驻村), under the norms.

The rows are checked together and inserted in bulk; the rules are those of
relief.pairings.services.create_pairing (same messages), applied to the file's own rows too:
at most N active households per cadre, one stationed cadre per village, no pairing for a
cadre who has been deactivated, a role only for stationed kinds (the default role otherwise).
An active pairing of the same cadre with the same household or village is skipped.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from relief.models import Cadre, Household, Pairing, PairingKind, StationRole, Village
from relief.pairings.services import DEFAULT_ROLE, STATIONED_KINDS

from . import cells
from .base import Column, Context, Counts, Kind, insert_rows, select_in
from .org import dedupe, find_villages


class Pairings(Kind):
    name = "pairings"
    label = _l("结对关系")
    columns = (
        Column("干部联系电话", "phone", lambda v: cells.phone(v, mobile_only=True)),
        Column("结对类型", "kind", lambda v: cells.label(v, PairingKind)),
        Column("身份证号", "id_number", cells.id_number, required=False, cell_required=False, ids=True),
        Column("乡镇", "township", lambda v: cells.name(v, 64), required=False, cell_required=False),
        Column("村", "village", lambda v: cells.name(v, 64), required=False, cell_required=False),
        Column("开始日期", "started_on", cells.a_date),
        # read when present: the stationed cadre's role (第一书记 / 工作队长 / 队员)
        Column("驻村身份", "role", lambda v: cells.label(v, StationRole), required=False, cell_required=False),
    )
    header_groups = (("身份证号",), ("乡镇", "村"))

    def check(self, rows, problems, ctx: Context) -> Counts:
        for row in rows:
            v = row.values
            if v.get("kind") is PairingKind.HOUSEHOLD:
                if v.get("id_number") is None and cells.is_blank(row.raw.get("身份证号")):
                    problems.add(row, "身份证号", _("户结对须填写帮扶户的身份证号"))
            elif v.get("kind") is not None:
                for header, key in (("乡镇", "township"), ("村", "village")):
                    if v.get(key) is None and cells.is_blank(row.raw.get(header)):
                        problems.add(row, header, _("挂钩、驻村须填写乡镇和村"))
        for row in rows:
            if row.values.get("role") is not None and row.values.get("kind") not in (None, *STATIONED_KINDS):
                problems.add(row, "驻村身份", _("只有驻村、驻村工作队结对需要填写驻村身份"))
        cadres = {phone: (cid, name, active) for cid, phone, name, active in select_in(
            lambda keys: sa.select(Cadre.id, Cadre.phone, Cadre.name, Cadre.is_active).where(Cadre.phone.in_(keys)),
            (r.values.get("phone") for r in rows))}
        households = {r[1]: r for r in select_in(
            lambda keys: sa.select(Household.id, Household.id_number, Household.village_id, Household.township_id,
                                   Household.head_name, Village.name)
            .join(Village, Village.id == Household.village_id).where(Household.id_number.in_(keys)),
            (r.values.get("id_number") for r in rows if r.values.get("kind") is PairingKind.HOUSEHOLD))}
        for row in rows:
            v = row.values
            if v.get("phone") and v["phone"] not in cadres:
                problems.add(row, "干部联系电话", _("没有联系电话为 %(phone)s 的干部；请先导入干部名单", phone=v["phone"]))
            elif v.get("phone") and not cadres[v["phone"]][2]:
                problems.add(row, "干部联系电话", _("%(cadre)s已停用，不能新建结对", cadre=cadres[v["phone"]][1]))
            if v.get("kind") is PairingKind.HOUSEHOLD and v.get("id_number") and v["id_number"] not in households:
                problems.add(row, "身份证号", _("没有该身份证号的帮扶户；请先导入帮扶户名单"))
        villages = find_villages([r for r in rows if r.values.get("kind") not in (None, PairingKind.HOUSEHOLD)],
                                 problems)

        def target(v):
            if v.get("kind") is PairingKind.HOUSEHOLD:
                return ("household", v.get("id_number"))
            place = villages.get((v.get("township"), v.get("village")))
            return ("village", place[0] if place else (v.get("township"), v.get("village")))

        def key(v):
            kind, ident = target(v)
            return (v.get("phone"), v.get("kind"), ident) if ident is not None else (None,)

        good = dedupe(rows, key, problems,
                      lambda r: "身份证号" if r.values.get("kind") is PairingKind.HOUSEHOLD else "村")
        return self._plan(good, cadres, households, villages, problems, ctx)

    def _plan(self, good, cadres, households, villages, problems, ctx) -> Counts:
        cadre_ids = {cadres[r.values["phone"]][0] for r in good}
        active = set()
        held: dict[int, list[str]] = {}
        for cid, kind, hid, vid, head, vname in select_in(
                lambda keys: sa.select(Pairing.cadre_id, Pairing.kind, Pairing.household_id, Pairing.village_id,
                                       Household.head_name, Village.name)
                .outerjoin(Household, Household.id == Pairing.household_id)
                .join(Village, Village.id == Pairing.village_id)
                .where(Pairing.cadre_id.in_(keys), Pairing.ended_on.is_(None))
                .order_by(Pairing.started_on, Pairing.id), cadre_ids):
            active.add((cid, kind, hid if kind is PairingKind.HOUSEHOLD else vid))
            if kind is PairingKind.HOUSEHOLD:
                held.setdefault(cid, []).append(f"{vname}{head}")
        stationed = {vid: name for vid, name in select_in(
            lambda keys: sa.select(Pairing.village_id, Cadre.name).join(Cadre, Cadre.id == Pairing.cadre_id)
            .where(Pairing.village_id.in_(keys), Pairing.kind == PairingKind.STATIONED, Pairing.ended_on.is_(None)),
            {villages[(r.values["township"], r.values["village"])][0] for r in good
             if r.values["kind"] is PairingKind.STATIONED})}
        limit = ctx.config["MAX_HOUSEHOLDS_PER_CADRE"]
        by = getattr(ctx.user, "id", None)
        counts, new = Counts(), []
        for row in good:
            v = row.values
            cid, cadre_name, _active = cadres[v["phone"]]
            if v["kind"] is PairingKind.HOUSEHOLD:
                hid, _number, vid, tid, head, vname = households[v["id_number"]]
                ident = hid
            else:
                vid, tid = villages[(v["township"], v["village"])]
                hid = None
                ident = vid
            if (cid, v["kind"], ident) in active:
                counts.skipped += 1
                continue
            if v["kind"] is PairingKind.HOUSEHOLD:
                names = held.setdefault(cid, [])
                if len(names) + 1 > limit:
                    problems.add(row, "干部联系电话", _(
                        "%(cadre)s已结对%(n)d户（%(names)s），每名干部最多结对%(limit)d户",
                        cadre=cadre_name, n=len(names), names="、".join(names), limit=limit))
                    continue
                names.append(_("%(name)s（本表第%(row)d行）", name=f"{vname}{head}", row=row.number))
            if v["kind"] is PairingKind.STATIONED:
                if vid in stationed:
                    problems.add(row, "村", _("%(village)s已有驻村干部%(cadre)s；请先结束或调整该结对",
                                             village=v["village"], cadre=stationed[vid]))
                    continue
                stationed[vid] = _("%(name)s（本表第%(row)d行）", name=cadre_name, row=row.number)
            role = (v.get("role") or DEFAULT_ROLE[v["kind"]]) if v["kind"] in STATIONED_KINDS else None
            new.append({"kind": v["kind"], "cadre_id": cid, "household_id": hid, "village_id": vid,
                        "township_id": tid, "role": role, "started_on": v["started_on"], "created_by_id": by})
            counts.created += 1
        ctx.plan = {"new": new}
        return counts

    def write(self, ctx: Context) -> None:
        insert_rows(Pairing, ctx.plan["new"])
