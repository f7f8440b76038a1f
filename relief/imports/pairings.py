"""Import kind: pairings of cadres with households (户结对) or villages (挂钩, 驻村), under the norms.

The rows are checked together and inserted in bulk. The norms are relief.pairings.norms, the
same functions and messages as a pairing made on a page, applied to the file's own rows too
(each row counts against the ones above it). An active pairing of the same cadre with the same
household or village is skipped.
"""
from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from relief.models import Cadre, Household, Pairing, PairingKind, StationRole, Village
from relief.pairings import norms

from . import cells
from .base import TOWNSHIP, VILLAGE, Column, Context, Counts, Kind, insert_rows, select_in
from .org import dedupe, find_villages


class Pairings(Kind):
    name = "pairings"
    label = _l("结对关系")
    columns = (
        Column("干部联系电话", "phone", lambda v: cells.phone(v, mobile_only=True)),
        Column("结对类型", "kind", lambda v: cells.label(v, PairingKind)),
        Column("身份证号", "id_number", cells.id_number, required=False, cell_required=False, ids=True),
        replace(TOWNSHIP, required=False, cell_required=False),
        replace(VILLAGE, required=False, cell_required=False),
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
            v = row.values
            if v.get("kind") is not None and (found := norms.role_problem(v["kind"], v.get("role"))):
                problems.add(row, "驻村身份", found.message)
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
                      lambda r: "身份证号" if r.values.get("kind") is PairingKind.HOUSEHOLD else "村", ctx.seen)
        return self._plan(good, cadres, households, villages, problems, ctx)

    def _plan(self, good, cadres, households, villages, problems, ctx) -> Counts:
        proposals = []
        for row in good:
            v = row.values
            cid, cadre_name, active = cadres[v["phone"]]
            if v["kind"] is PairingKind.HOUSEHOLD:
                hid, _number, vid, tid, head, vname = households[v["id_number"]]
                target, label = hid, f"{vname}{head}"
            else:
                vid, tid = villages[(v["township"], v["village"])]
                hid, target, label = None, vid, v["village"]
            # the role was checked with the row above
            proposal = norms.Proposal(kind=v["kind"], cadre_id=cid, cadre_name=cadre_name, cadre_active=active,
                                      target_id=target, target_label=label, village_id=vid,
                                      role=v.get("role") if v["kind"].is_stationed else None)
            proposals.append((row, proposal, hid, tid))
        holdings = self._holdings(proposals, ctx)
        limit = ctx.config["MAX_HOUSEHOLDS_PER_CADRE"]
        by = getattr(ctx.user, "id", None)
        counts, new = Counts(), []
        for row, p, hid, tid in proposals:
            found = norms.check(p, holdings, limit)
            if any(problem.duplicate for problem in found):
                counts.skipped += 1
                continue
            for problem in found:
                problems.add(row, self._header_of(problem, p), problem.message)
            if found:
                continue
            norms.take(p, holdings, row=row.number)
            new.append({"kind": p.kind, "cadre_id": p.cadre_id, "household_id": hid, "village_id": p.village_id,
                        "township_id": tid, "role": norms.role_for(p.kind, p.role),
                        "started_on": row.values["started_on"], "created_by_id": by})
            counts.created += 1
        ctx.plan = {"new": new}
        return counts

    @staticmethod
    def _holdings(proposals, ctx: Context) -> norms.Holdings:
        """The active pairings of the batch's cadres and stationed villages, with the file's earlier rows taken.

        A cadre's or village's pairings are loaded the first time the file names it and kept
        for the later batches with the file's own rows counted in, as one load of the whole file
        would have them: later rows are checked against earlier ones, whose messages name their
        row, whether or not the earlier batches were written.
        """
        holdings, cadres, villages = ctx.carry.setdefault("holdings", (norms.Holdings(), set(), set()))
        new_cadres = {p.cadre_id for _r, p, _h, _t in proposals} - cadres
        new_villages = {p.village_id for _r, p, _h, _t in proposals if p.kind is PairingKind.STATIONED} - villages
        if new_cadres or new_villages:
            loaded = norms.load_holdings(new_cadres, new_villages)
            holdings.active |= loaded.active
            for cid, labels in loaded.households.items():
                holdings.households.setdefault(cid, [])[:0] = labels
            for vid, name in loaded.stationed.items():
                holdings.stationed.setdefault(vid, name)
            cadres |= new_cadres
            villages |= new_villages
        return holdings

    @staticmethod
    def _header_of(problem: norms.Problem, p: norms.Proposal) -> str:
        if problem.part == "role":
            return "驻村身份"
        if problem.part == "target":
            return "身份证号" if p.kind is PairingKind.HOUSEHOLD else "村"
        return "干部联系电话"

    def write(self, ctx: Context) -> None:
        insert_rows(Pairing, ctx.plan["new"])
