"""A roster's rows stream from the sheet and are checked and written a batch at a time (base.BATCH);
what the user sees does not depend on where the batches end. Each test lowers BATCH so that a
small file crosses several batch boundaries."""
import io
from datetime import date

import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.imports import base
from relief.imports.services import run_import
from relief.models import AuditEvent, Household, HouseholdIncome, Township, Village

from .sheets import HOUSEHOLDS, PAIRINGS, VILLAGES, count, errors, file_id, household_row, xlsx


@pytest.fixture
def batch(monkeypatch):
    """Batches of three rows."""
    monkeypatch.setattr(base, "BATCH", 3)
    return 3


def imports() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "import"))


def writes(monkeypatch) -> list[int]:
    """The sizes of the bulk statements the import executes, as they happen."""
    real, calls = base._write, []

    def counting(stmt, chunk):
        calls.append(len(chunk))
        return real(stmt, chunk)
    monkeypatch.setattr(base, "_write", counting)
    return calls


def test_a_duplicate_in_a_later_batch_names_the_first_row_and_nothing_is_stored(run, places, batch):
    rows = [household_row(n) for n in range(1, 10)] + [household_row(1, 户主姓名="重复")]
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert result.exit_code == 1
    assert errors(result) == ["row 11: 身份证号: 与第2行重复"]
    assert (count(Household), count(HouseholdIncome), imports()) == (0, 0, 0)


def test_an_error_in_the_last_batch_undoes_the_batches_already_written(run, places, batch, monkeypatch):
    calls = writes(monkeypatch)
    rows = [household_row(n) for n in range(1, 11)]
    rows[-1][HOUSEHOLDS.index("家庭人口")] = "x"
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert result.exit_code == 1
    assert [line.split(":")[:2] for line in errors(result)] == [["row 11", " 家庭人口"]]
    assert sum(calls) > 0  # the first batches had been written when the last one was checked
    db.session.rollback()
    assert (count(Household), count(HouseholdIncome), imports()) == (0, 0, 0)


def test_every_bad_row_of_every_batch_is_reported_in_order(run, places, batch):
    rows = [household_row(n) for n in range(1, 11)]
    rows[1][HOUSEHOLDS.index("致贫原因")] = "?"
    rows[4][HOUSEHOLDS.index("村")] = "无村"
    rows[8][HOUSEHOLDS.index("家庭人口")] = "x"
    rows[8][HOUSEHOLDS.index("状态")] = "?"
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert [line.split(":")[:2] for line in errors(result)] == [
        ["row 3", " 致贫原因"], ["row 6", " 村"], ["row 10", " 家庭人口"], ["row 10", " 状态"]]
    assert count(Household) == 0


def test_counts_of_new_updated_and_unchanged_rows_add_up_across_batches(run, places, f, batch):
    east_a = db.session.scalar(sa.select(Village).where(Village.name == "甲村"))
    for n in (2, 4, 6):
        f.household(east_a, f"户主{n}", id_number=file_id(n), phone=f"138{n:08d}", members=3)
    f.commit()
    first = run("households", xlsx([HOUSEHOLDS] + [household_row(n) for n in (2, 4, 6)]))
    assert first.exit_code == 0, first.output
    rows = [household_row(n) for n in range(1, 9)]
    rows[3][HOUSEHOLDS.index("家庭人口")] = 5  # 户主4: updated
    rows[5][HOUSEHOLDS.index("人均纯收入(元)")] = 9999  # 户主6: only its income changes, so updated
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert result.exit_code == 0, result.output
    assert "共8行，新增5，更新2，未变1" in result.stdout
    assert count(Household) == 8
    members = dict(db.session.execute(sa.select(Household.head_name, Household.members)).all())
    assert members["户主4"] == 5
    assert db.session.scalar(sa.select(HouseholdIncome.per_capita_yuan).join(Household)
                             .where(Household.head_name == "户主6")) == 9999
    again = run("households", xlsx([HOUSEHOLDS] + rows))
    assert "共8行，新增0，更新0，未变8" in again.stdout


def test_excel_damage_spread_over_batches_is_seen_in_the_whole_column(run, places, batch):
    rows = [household_row(n) for n in range(1, 11)]
    for index in (0, 4, 8):  # one in each of three batches: together no longer chance
        rows[index][HOUSEHOLDS.index("身份证号")] = file_id(index + 1)[:15] + "000"
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert result.exit_code == 1
    damaged = "后三位是 000：这是被 Excel 改坏的号码，不是原来的身份证号"
    assert errors(result) == [
        "row 1: 身份证号: 这一列被 Excel 当成数字，后三位变成了 000；请把这一列设为文本后重新粘贴原始号码（共3行：第2、6、10行）",
        f"row 2: 身份证号: {damaged}", f"row 6: 身份证号: {damaged}", f"row 10: 身份证号: {damaged}"]
    assert count(Household) == 0


def test_new_townships_of_the_first_batch_are_not_made_twice_by_the_next(run, batch):
    rows = [VILLAGES] + [[f"{t}镇", f"村{n}", "否", None, None, None] for t in "东西" for n in range(4)]
    result = run("villages", xlsx(rows))
    assert result.exit_code == 0, result.output
    assert "共8行，新增8，更新0，未变0" in result.stdout
    assert (count(Township), count(Village)) == (2, 8)


def test_a_cadres_households_are_counted_across_batches(app, run, places, f, batch):
    app.config["MAX_HOUSEHOLDS_PER_CADRE"] = 2
    east_a = db.session.scalar(sa.select(Village).where(Village.name == "甲村"))
    for n in range(1, 6):
        f.household(east_a, f"户主{n}", id_number=file_id(n))
    f.cadre("张三", phone="13900000001")
    f.commit()
    rows = [["13900000001", "户结对", file_id(n), None, None, date(2024, 1, 1)] for n in range(1, 6)]
    result = run("pairings", xlsx([PAIRINGS] + rows))
    assert errors(result)[0] == ("row 4: 干部联系电话: 张三已结对2户（甲村户主1（本表第2行）、甲村户主2（本表第3行）），"
                                 "每名干部最多结对2户")
    assert [line.split(":")[0] for line in errors(result)] == ["row 4", "row 5", "row 6"]


def test_the_preview_shows_the_first_ten_rows_whatever_the_batches(app, places, batch):
    data = xlsx([HOUSEHOLDS] + [household_row(n) for n in range(1, 15)])
    with app.app_context():
        outcome = run_import("households", data, "名单.xlsx", dry_run=True)
        db.session.rollback()
    assert outcome.ok and outcome.rows == 14
    assert [number for number, _cells in outcome.preview] == list(range(2, 12))
    assert outcome.counts.created == 14


def test_a_township_merged_down_rows_of_several_batches_fills_every_row(run, places, batch):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    for c, header in enumerate(HOUSEHOLDS):
        sheet.write(0, c, header)
    for r, n in enumerate(range(1, 9), start=1):
        for c, value in enumerate(household_row(n)):
            if c and value is not None:
                sheet.write(r, c, value)
    sheet.write_merge(1, 8, 0, 0, "东镇")
    out = io.BytesIO()
    book.save(out)
    result = run("households", out.getvalue(), "花名册.xls")
    assert result.exit_code == 0, result.output
    assert count(Household) == 8


def test_a_table_that_starts_at_c4_keeps_its_row_numbers_and_columns(run, places, batch):
    rows = [household_row(n) for n in range(1, 8)]
    rows[4][HOUSEHOLDS.index("家庭人口")] = "x"
    blank = [[], [], []]
    result = run("households", xlsx(blank + [[None, None] + row for row in [HOUSEHOLDS] + rows]))
    assert [line.split(":")[:2] for line in errors(result)] == [["row 9", " 家庭人口"]]
    assert "表头在第4行" in result.stdout


def test_a_file_over_the_row_limit_or_without_data_rows_is_refused_and_nothing_is_stored(run, places, app):
    app.config["IMPORT_MAX_ROWS"] = 5
    over = run("households", xlsx([HOUSEHOLDS] + [household_row(n) for n in range(1, 7)]))
    assert over.exit_code == 2
    assert "文件有6行，超过一次导入的上限5行；请分成几个文件导入" in over.stderr
    empty = run("households", xlsx([HOUSEHOLDS]))
    assert empty.exit_code == 2 and "表头下面没有数据行" in empty.stderr
    assert (count(Household), count(HouseholdIncome), imports()) == (0, 0, 0)
