"""Who may see which rows. Every list and fetch of user-visible rows goes through here.

The rule: the admin and the inspector see the whole district; a township leader sees the rows of
the township; a cadre sees the households and villages they are actively paired with and what is
theirs (their visits, the demands they own or that their households raised, the projects they run
or of their villages). `_RULES` below says it model by model; `scoped`, `get_scoped_or_404`,
`can_see` and `condition` apply it.

The deliberate exceptions, each a named function below, so that this file lists all of them:

1. `household_history` and `village_pairings`: a household's page tells the household's whole
   story to whoever may see the household: every visit and demand (whoever recorded or owns it)
   and, for a cadre, every pairing it has had (the cadres before them); a village's page names
   every cadre linked to it or stationed in it.
2. `pairable_cadres`: a leader pairing or transferring picks from the whole roster of cadres
   (cadres belong to district units, not townships); the lists show name, unit and a masked phone.
3. `DISTRICT_WIDE`: the work record's ranks and its 捆绑考核 village progress are computed over the
   whole district, so every viewer sees the same rank; only then are the rows limited (rule 4).
4. `record_cadres`: a leader reads the work record of every cadre paired in the township at some
   point of the quarter, also after the pairing has ended (the Cadre rule: active pairings only).
5. `count_beyond`: a list of one visible cadre's rows opened from the work record says how many of
   the cadre's rows lie beyond the user's scope, as a number, never the rows.
6. `FLAG_READERS` and `flags_limit`: the flags on visit records are for the admin and the inspector
   only, so the checks read the whole district, unscoped; a township asked for narrows them.
7. `owned_by_cadre`: a cadre's to-do lists (the home, the demand list's default) show the demands
   they own, out of the wider set they may see.

Public pages: the self-report form of 防返贫 monitoring (/monitoring/report, opened from a village's
QR code without signing in) offers every township and village to pick from; it reads no one's rows.

Personal data: `may_reveal` (who may unmask a household's ID or phone number on its page; every
reveal is audited) and `may_export_full_ids` (who may export them unmasked: the admin only).

And the township a page is narrowed to: `township_of_request` (an id or a name, checked: another
township is a 404), `township_asked` (a list's ?township=ID, as given), `picks_township` (whether a
list offers the township filter at all) and `own_township_id`.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.sql import Select

from relief.extensions import db
from relief.fields import db_int
from relief.models import (
    Attendance,
    AuditEvent,
    Cadre,
    Callback,
    Demand,
    Household,
    IncomeTarget,
    Measure,
    MonitorCase,
    MonitorLine,
    Pairing,
    PairingKind,
    Project,
    ProjectUpdate,
    RiskLead,
    Role,
    StepRecord,
    Township,
    User,
    Village,
    VillageIncome,
    Visit,
)


def _my_households(user) -> Select:
    return (
        sa.select(Pairing.household_id)
        .where(Pairing.cadre_id == user.cadre_id, Pairing.ended_on.is_(None), Pairing.kind == PairingKind.HOUSEHOLD)
    )


def _my_villages(user) -> Select:
    return sa.select(Pairing.village_id).where(Pairing.cadre_id == user.cadre_id, Pairing.ended_on.is_(None))


def _in_township(column):
    return lambda user: column == user.township_id


def _my_leads(user):
    """A cadre's risk leads: those in the cadre's queue, and those of the households the cadre is
    paired with. The queue is what brings a self-report of a person not on the roster (no
    household) to the village's stationed cadre, who alone of the cadres sees it."""
    return sa.or_(RiskLead.assignee_cadre_id == user.cadre_id, RiskLead.household_id.in_(_my_households(user)))


def _my_cases(user):
    """A cadre's monitoring cases: the ones whose step the cadre holds, those of the cadre's paired
    households, and those with a measure the cadre is responsible for."""
    return sa.or_(MonitorCase.holder_cadre_id == user.cadre_id,
                  MonitorCase.household_id.in_(_my_households(user)),
                  MonitorCase.id.in_(sa.select(Measure.case_id).where(Measure.cadre_id == user.cadre_id)))


def _cases_of_township(user):
    return sa.select(MonitorCase.id).where(MonitorCase.township_id == user.township_id)


def _cases_of_cadre(user):
    return sa.select(MonitorCase.id).where(_my_cases(user))


# For each model: (leader rule, cadre rule); admin and inspector see everything.
_RULES = {
    Household: (_in_township(Household.township_id), lambda u: Household.id.in_(_my_households(u))),
    Village: (_in_township(Village.township_id), lambda u: Village.id.in_(_my_villages(u))),
    Township: (_in_township(Township.id),
               lambda u: Township.id.in_(sa.select(Village.township_id).where(Village.id.in_(_my_villages(u))))),
    Visit: (_in_township(Visit.township_id), lambda u: Visit.cadre_id == u.cadre_id),
    Demand: (_in_township(Demand.township_id),
             lambda u: sa.or_(Demand.owner_id == u.cadre_id, Demand.household_id.in_(_my_households(u)))),
    Project: (_in_township(Project.township_id),
              lambda u: sa.or_(Project.responsible_cadre_id == u.cadre_id, Project.village_id.in_(_my_villages(u)))),
    ProjectUpdate: (lambda u: ProjectUpdate.project_id.in_(sa.select(Project.id).where(Project.township_id == u.township_id)),
                    lambda u: ProjectUpdate.project_id.in_(
                        sa.select(Project.id).where(sa.or_(Project.responsible_cadre_id == u.cadre_id,
                                                           Project.village_id.in_(_my_villages(u)))))),
    Pairing: (_in_township(Pairing.township_id), lambda u: Pairing.cadre_id == u.cadre_id),
    Attendance: (lambda u: Attendance.pairing_id.in_(sa.select(Pairing.id).where(Pairing.township_id == u.township_id)),
                 lambda u: Attendance.pairing_id.in_(sa.select(Pairing.id).where(Pairing.cadre_id == u.cadre_id))),
    VillageIncome: (lambda u: VillageIncome.village_id.in_(sa.select(Village.id).where(Village.township_id == u.township_id)),
                    lambda u: VillageIncome.village_id.in_(_my_villages(u))),
    IncomeTarget: (lambda u: sa.or_(IncomeTarget.village_id.is_(None), IncomeTarget.village_id.in_(
                        sa.select(Village.id).where(Village.township_id == u.township_id))),
                   lambda u: sa.or_(IncomeTarget.village_id.is_(None), IncomeTarget.village_id.in_(_my_villages(u)))),
    # A leader sees the cadres working in the township; a cadre sees only themself.
    Cadre: (lambda u: Cadre.id.in_(sa.select(Pairing.cadre_id).where(Pairing.township_id == u.township_id,
                                                                       Pairing.ended_on.is_(None))),
            lambda u: Cadre.id == u.cadre_id),
    Callback: (_in_township(Callback.township_id), lambda u: sa.false()),
    # 防返贫动态监测: the yearly income line is district-wide and public to every role
    MonitorLine: (lambda u: sa.true(), lambda u: sa.true()),
    RiskLead: (_in_township(RiskLead.township_id), _my_leads),
    MonitorCase: (_in_township(MonitorCase.township_id), _my_cases),
    Measure: (_in_township(Measure.township_id), lambda u: Measure.case_id.in_(_cases_of_cadre(u))),
    StepRecord: (lambda u: StepRecord.case_id.in_(_cases_of_township(u)),
                 lambda u: StepRecord.case_id.in_(_cases_of_cadre(u))),
    User: (lambda u: User.id == u.id, lambda u: User.id == u.id),
    AuditEvent: (lambda u: sa.false(), lambda u: sa.false()),
}


class BoundUser:
    """A user of one role whose ids are the bind parameters :user_id, :cadre_id and :township_id:
    a statement scoped for it is built once and then run for any user of that role with
    `bound(user)` as its parameters (hot paths, where building the select costs more than running it)."""

    is_authenticated = True
    id = sa.bindparam("user_id")
    cadre_id = sa.bindparam("cadre_id")
    township_id = sa.bindparam("township_id")

    def __init__(self, role: Role):
        self.role = role


def bound(user) -> dict:
    """The parameters that make a BoundUser statement about `user`."""
    return {"user_id": user.id, "cadre_id": user.cadre_id, "township_id": user.township_id}


def prepared_for(user) -> tuple[object, BoundUser | None] | None:
    """How a statement built once serves `user`: ("all", None) for district users (no scope at
    all), (role, BoundUser(role)) for a leader or a cadre (run with `bound(user)`), None for
    anyone else (build the statement for that user)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if sees_everything(user):
        return "all", None
    if user.role in (Role.LEADER, Role.CADRE):
        return user.role, BoundUser(user.role)
    return None


def sees_everything(user) -> bool:
    return user.role in (Role.ADMIN, Role.INSPECTOR)


def own_township_id(user) -> int | None:
    """The township a leader is held to; None for district users (and for a cadre, who is held to
    their pairings instead)."""
    return None if sees_everything(user) else user.township_id


def viewer_scope(user) -> str:
    """Who sees the same rows: the whole district (admin, inspector), one leader's township, one cadre."""
    if sees_everything(user):
        return "district"
    if user.role is Role.LEADER:
        return f"township:{user.township_id}"
    return f"user:{user.id}"


def condition(model, user):
    """The WHERE clause limiting `model` to what `user` may see (None: no limit)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return sa.false()
    leader_rule, cadre_rule = _RULES[model]
    if user.role is Role.ADMIN or (user.role is Role.INSPECTOR and model is not User):
        return None
    if user.role is Role.LEADER:
        return leader_rule(user)
    if user.role is Role.CADRE:
        return cadre_rule(user)
    return _RULES[User][0](user) if model is User else sa.false()


def scoped(stmt: Select, user, model=None) -> Select:
    """Limit a select to the rows `user` may see; `model` defaults to the first entity."""
    model = model or stmt.column_descriptions[0]["entity"]
    clause = condition(model, user)
    return stmt if clause is None else stmt.where(clause)


def count_beyond(stmt: Select, user, visible: int, model=None) -> int:
    """Exception 5: how many rows of `stmt` (not yet scoped) lie outside what `user` may see,
    given that `visible` of them are inside.

    For one case: a list of one visible cadre's rows opened from the work record, whose figures
    count the cadre's work everywhere (ranks are the same whoever looks, exception 3). The list
    shows only the rows the user may see and says how many others there are, as a number, never
    the rows; the record page shows that number already.
    """
    model = model or stmt.column_descriptions[0]["entity"]
    if condition(model, user) is None:
        return 0
    everywhere = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    return max(everywhere - visible, 0)


def get_scoped_or_404(model, ident, user, options=()):
    """Fetch one row the user may see; anything else, existing or not, is a 404."""
    try:
        ident = db_int(ident)
    except (TypeError, ValueError):
        abort(404)
    stmt = scoped(sa.select(model).where(model.id == ident), user, model)
    for opt in options:
        stmt = stmt.options(opt)
    row = db.session.scalar(stmt)
    if row is None:
        abort(404)
    return row


def can_see(model, ident, user) -> bool:
    stmt = scoped(sa.select(model.id).where(model.id == ident), user, model)
    return db.session.scalar(stmt) is not None


def township_of_request(value: str | None, user) -> Township | None:
    """The township a page is narrowed to: `value` is an id or a name, None for everything visible.

    A leader always gets the own township; a township the user may not see is a 404.
    """
    value = (value or "").strip()
    if not value:
        return user.township if user.role is Role.LEADER else None
    match = Township.id == int(value) if value.isdecimal() and len(value) <= 9 else Township.name == value
    township = db.session.scalar(scoped(sa.select(Township).where(match), user))
    if township is None:
        abort(404)
    return township


def picks_township(user) -> bool:
    """Whether a list offers `user` a township filter: not to a leader, whom every list holds to the
    own township (the scope does, so the parameter is not theirs to set)."""
    return user.role is not Role.LEADER


def township_asked(user, value) -> int | None:
    """The township id a list's ?township=ID asks for, as given: district users narrow a list to
    any township (an id of no township lists nothing); a leader is held to the own township by
    the scope, so the parameter is not theirs to set (None)."""
    if not picks_township(user):
        return None
    try:
        return db_int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# -- the deliberate exceptions ------------------------------------------------------------------

def household_history(stmt: Select, household_id: int, user, model=None) -> Select:
    """Exception 1: the rows of one household's history (its pairings, visits or demands: `model`,
    by default the first entity of `stmt`) for its page. The caller has fetched the household
    through get_scoped_or_404, so the user may see it.

    Visits and demands: all of them, whoever recorded or owns them. Pairings: for a cadre, every
    pairing the household has had (who helped it before them); for others, their scope's.
    """
    model = model or stmt.column_descriptions[0]["entity"]
    stmt = stmt.where(model.household_id == household_id)
    if model is Pairing and user.role is not Role.CADRE:
        return scoped(stmt, user, Pairing)
    return stmt


def village_pairings(stmt: Select, village_id: int) -> Select:
    """Exception 1: the link and stationed pairings of a village's page (ended ones too), all of
    them: whoever may see the village sees who is linked to it and stationed in it (a cadre, the
    rest of their village's team). The caller has fetched the village through get_scoped_or_404;
    the map's popups name the same cadres (reports.villages)."""
    return stmt.where(Pairing.village_id == village_id, Pairing.household_id.is_(None))


def pairable_cadres(stmt: Select, user) -> Select:
    """Exception 2: the cadres `user` may pick when pairing or transferring. Cadres belong to
    district units, not townships, and a leader pairs cadres from any unit with the township's
    households: a leader picks from the whole roster (the pages show a cadre's name, unit, a
    masked phone and how many households they have, nothing else). Others: their scope's."""
    return stmt if user.role is Role.LEADER else scoped(stmt, user, Cadre)


class _WholeDistrict:
    """Stands for 'no scope' where a figure must be the same for every viewer."""

    id = cadre_id = township_id = None
    role = Role.ADMIN
    is_authenticated = True


#: Exception 3: the user the work record computes its ranks and its 捆绑考核 village progress as,
#: so that a cadre's rank is the same whoever looks; the rows shown are limited by record_cadres.
DISTRICT_WIDE = _WholeDistrict()


def record_cadres(user, first: date, last: date) -> set[int] | None:
    """Exception 4: the ids of the cadres whose work record from first to last `user` may read
    (None: every cadre). A cadre: their own. A leader: every cadre with a pairing in the township
    at some point of the period, also when it has ended since (the Cadre rule counts active
    pairings only; the record is about the period)."""
    if sees_everything(user):
        return None
    if user.role is Role.CADRE:
        return {user.cadre_id}
    overlapping = sa.and_(Pairing.started_on <= last, sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on >= first))
    return set(db.session.scalars(scoped(sa.select(Pairing.cadre_id).distinct(), user, Pairing).where(overlapping)))


#: Exception 6: the flags on visit records are for these roles only, who see the whole district
FLAG_READERS = (Role.ADMIN, Role.INSPECTOR)


def flags_limit(township_id: int | None, column=None):
    """Exception 6: the clause on the visits the flag checks read. Only FLAG_READERS read flags, so
    the checks read every visit of the district, unscoped; a township asked for (township_asked)
    narrows them to its visits. `column`: the township column to narrow (default Visit's)."""
    column = Visit.township_id if column is None else column
    return column == township_id if township_id else sa.true()


def owned_by_cadre(user):
    """Exception 7: a cadre's to-do lists (the home, the demand list unless 全部 is asked) show the
    demands they own, out of the wider set they may see (also those their households raised, owned
    by someone else). The clause on Demand; None for other users."""
    if user.role is Role.CADRE and user.cadre_id:
        return Demand.owner_id == user.cadre_id
    return None


# -- personal data ------------------------------------------------------------------------------

def may_reveal(user, field: str) -> bool:
    """Whether `user` may unmask a household's full ID number (`id_number`) or phone (`phone`) on
    the page of a household they may see (every reveal is audited): the district's users and the
    township's leader both; a cadre the phone only (a paired cadre may call their household)."""
    if user.role in (Role.ADMIN, Role.LEADER, Role.INSPECTOR):
        return True
    return field == "phone" and user.role is Role.CADRE


def may_export_full_ids(user) -> bool:
    """Whether `user` may export full (unmasked) ID and phone numbers: the district office's admin only."""
    return user.role is Role.ADMIN
