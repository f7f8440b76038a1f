"""The database refuses what the domain forbids, on every backend."""
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from relief.extensions import db
from relief.models import Cadre, Household, Pairing, PairingKind, Project, ProjectType, Village, VillageIncome, Visit

from .factories import valid_id


def _refused(stmt_or_obj):
    with pytest.raises((IntegrityError, StatementError)):
        if isinstance(stmt_or_obj, sa.sql.Executable):
            db.session.execute(stmt_or_obj)
        else:
            db.session.add(stmt_or_obj)
        db.session.flush()
    db.session.rollback()


def test_id_number_is_unique(f):
    h = f.household()
    f.commit()
    _refused(Household(village_id=h.village_id, township_id=h.township_id, head_name="重复", id_number=h.id_number))


def test_cadre_phone_is_unique(f):
    c = f.cadre(phone="13900000001")
    f.commit()
    _refused(Cadre(name="另一人", unit_id=c.unit_id, phone="13900000001"))


def test_village_name_is_unique_within_a_township_only(f):
    t1, t2 = f.township(), f.township()
    f.village(t1, name="王庄村")
    f.village(t2, name="王庄村")  # another township may have one
    f.commit()
    _refused(Village(township_id=t1.id, name="王庄村"))


def test_money_is_never_negative(f):
    v = f.village(is_weak=True)
    f.commit()
    _refused(VillageIncome(village_id=v.id, year=2025, income_yuan=-1))
    _refused(Project(village_id=v.id, township_id=v.township_id, name="x", type=ProjectType.SOLAR, funding_yuan=-5))


def test_foreign_keys_are_enforced(f):
    f.township()
    f.commit()
    _refused(sa.insert(Village).values(township_id=99999, name="孤村", is_weak=False))


def test_enum_columns_refuse_unknown_values(f):
    v = f.village()
    f.commit()
    _refused(sa.text("INSERT INTO household (township_id, village_id, head_name, id_number, members, cause, status,"
                     " created_at, updated_at) VALUES (:t, :v, 'x', :i, 1, 'other', 'rich', '2025-01-01',"
                     " '2025-01-01')").bindparams(t=v.township_id, v=v.id, i=valid_id(777)))


def test_a_household_pairing_needs_a_household_and_a_village_pairing_none(f):
    h = f.household()
    c = f.cadre()
    f.commit()
    _refused(Pairing(kind=PairingKind.HOUSEHOLD, cadre_id=c.id, village_id=h.village_id,
                     township_id=h.township_id, started_on=date(2025, 1, 1)))
    _refused(Pairing(kind=PairingKind.LINK, cadre_id=c.id, household_id=h.id, village_id=h.village_id,
                     township_id=h.township_id, started_on=date(2025, 1, 1)))


def test_a_pairing_cannot_end_before_it_starts(f):
    h = f.household()
    c = f.cadre()
    f.commit()
    _refused(Pairing(kind=PairingKind.HOUSEHOLD, cadre_id=c.id, household_id=h.id, village_id=h.village_id,
                     township_id=h.township_id, started_on=date(2025, 5, 1), ended_on=date(2025, 4, 1)))


def test_visit_client_uuid_is_unique(f):
    h = f.household()
    c = f.cadre()
    v = f.visit(c, h)
    f.commit()
    _refused(Visit(client_uuid=v.client_uuid, cadre_id=c.id, household_id=h.id, village_id=h.village_id,
                   township_id=h.township_id, kind=v.kind, visited_on=date(2025, 1, 2)))


def test_visits_keep_township_and_are_indexed_by_township_and_date(app):
    indexes = {ix.name: [c.name for c in ix.columns] for ix in Visit.__table__.indexes}
    assert indexes["ix_visit_township_date"][:2] == ["township_id", "visited_on"]
    assert indexes["ix_visit_household_date"] == ["household_id", "visited_on"]
