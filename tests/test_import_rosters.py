"""Rosters as district offices really have them (tests/rosters.py), on the command line and the upload page.

Every case reads back what was stored, or checks the exact message shown.
"""
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import Cadre, Household, HouseholdIncome, Pairing, Rank, Role, Township, Village, VillageIncome

from . import rosters
from .rosters import (
    PEOPLE,
    Grid,
    excel_damaged,
    instructions_sheet,
    office_households,
    stored_households,
    to_csv,
    to_xls,
    to_xlsx,
    village_roster,
    zeros_id_passing_check,
)
from .sheets import confirm, count, errors, upload

needs_soffice = pytest.mark.skipif(rosters.SOFFICE is None, reason="LibreOffice (soffice) is not installed")

HEADER_AT = "读取工作表“花名册”（第2个，共2个），表头在第4–5行（前面的工作表里没有这张表）"
FOOTER_AT = "第14行起是表尾（合计），不作为数据导入"
SUBTOTALS = "第9、13行是小计或重复的表头，已跳过"


def office_book() -> bytes:
    """The 花名册 behind an instructions sheet, written by xlsxwriter (one ID pasted with its apostrophe)."""
    return to_xlsx(instructions_sheet(), office_households(ids={"张家富": "'" + PEOPLE[2].id_number}))


def as_format(fmt: str) -> tuple[bytes, str]:
    """The office roster in one of the formats offices bring, and its file name."""
    if fmt == "xlsx":
        return office_book(), "花名册.xlsx"
    if fmt == "xls":
        return to_xls(instructions_sheet(), office_households()), "花名册.xls"
    source = to_xlsx(instructions_sheet(), office_households())
    kind = fmt.removeprefix("libreoffice-")
    return rosters.libreoffice(source, kind), f"花名册.{kind}"


FORMATS = ["xlsx", "xls"] + [pytest.param(f"libreoffice-{f}", marks=needs_soffice)
                             for f in rosters.LIBREOFFICE_FORMATS]
# every file LibreOffice converts, queued so that each format is one run of soffice per session
rosters.prepare(to_xlsx(instructions_sheet(), office_households()), to_xlsx(office_households(), ids_as_numbers=True))


@pytest.fixture
def villages(f):
    for township, names in rosters.VILLAGES.items():
        t = f.township(township)
        for name in names:
            f.village(t, name)
    f.commit()


def households_stored() -> list[tuple]:
    rows = db.session.execute(
        sa.select(Township.name, Village.name, Household.head_name, Household.id_number, Household.phone,
                  Household.members, Household.cause, Household.status, Household.monitor_category,
                  Household.lifted_year, HouseholdIncome.per_capita_yuan)
        .join(Village, Village.id == Household.village_id).join(Township, Township.id == Village.township_id)
        .outerjoin(HouseholdIncome, HouseholdIncome.household_id == Household.id)
        .order_by(Household.id_number)).all()
    return sorted((*r[:6], r[6].value, r[7].value, r[8].value if r[8] else None, *r[9:]) for r in rows)


def stdout_lines(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line]


# --- the office's 花名册 in every format -------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_the_office_roster_imports_exactly_on_the_command_line(run, villages, fmt):  # noqa: F811
    data, name = as_format(fmt)
    result = run("households", data, name)
    assert result.exit_code == 0, result.output
    assert stdout_lines(result)[:3] == [HEADER_AT, FOOTER_AT, SUBTOTALS]
    assert households_stored() == stored_households()
    again = run("households", data, name)
    assert "新增0，更新0，未变6" in again.stdout
    assert households_stored() == stored_households()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_office_roster_previews_then_imports_through_the_page(admin_page, villages, fmt):
    data, name = as_format(fmt)
    html = upload(admin_page, "households", data, name).get_data(as_text=True)
    assert HEADER_AT in html and FOOTER_AT in html and SUBTOTALS in html
    assert "确认后将新增 6 条，更新 0 条；0 条没有变化" in html
    # the preview shows what will be stored: the national words as relief's, money in 元
    preview = html[html.index('id="import-preview"'):]
    first = re.findall(r"<td>([^<]*)</td>", preview)[:10]
    assert first == ["柳堡镇", "三星村", "王德山", "321084********2139", "138****0021", "4", "因病", "已脱贫", "2019",
                     "8,620元"]
    assert count(Household) == 0
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    assert confirm(admin_page, token).status_code == 302
    assert households_stored() == stored_households()


@pytest.fixture
def admin_page(client, auth, f):
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    return client


def test_a_gbk_csv_with_title_two_row_header_apostrophes_and_footer_imports(run, villages):  # noqa: F811
    ids = {p.name: "'" + p.id_number for p in PEOPLE}
    data = to_csv(office_households(ids=ids, merge_places=False), "gbk")
    assert "'321084".encode() in data and "花名册".encode("gbk") in data
    result = run("households", data, "花名册.csv")
    assert result.exit_code == 0, result.output
    assert stdout_lines(result)[:2] == ["读取工作表“花名册”，表头在第4–5行", FOOTER_AT]
    assert households_stored() == stored_households()


def test_merged_places_saved_to_csv_are_blank_and_say_so(run, villages):  # noqa: F811
    """A CSV keeps a merged cell's value in its first row only: the rows below are not guessed."""
    result = run("households", to_csv(office_households()), "花名册.csv")
    assert result.exit_code == 1
    assert errors(result) == ["row 7: 乡镇: 不能为空", "row 7: 村: 不能为空", "row 8: 乡镇: 不能为空",
                              "row 8: 村: 不能为空", "row 10: 乡镇: 不能为空", "row 11: 乡镇: 不能为空",
                              "row 11: 村: 不能为空", "row 12: 乡镇: 不能为空", "row 12: 村: 不能为空"]
    assert count(Household) == 0


def test_a_data_row_below_the_footer_is_reported_not_dropped(run, villages):  # noqa: F811
    late = [7, "柳堡镇", "三星村", "孙大民", rosters.resident_id("321084", date(1969, 2, 3), 118), "13852719999", 2,
            "因病", "贫困户", None, 5000]
    result = run("households", to_xlsx(office_households(after=[late])), "花名册.xlsx")
    assert result.exit_code == 1
    assert errors(result) == ["row 18: 乡镇: 这一行在表尾（第14行“合计”）下面，不会被导入；请删去表尾，或把这一行移到表尾上面"]
    assert count(Household) == 0


# --- the table on another sheet -------------------------------------------------------------------

def test_the_table_is_found_behind_an_empty_first_sheet(run, villages):  # noqa: F811
    table = Grid("Sheet2", [rosters.HOUSEHOLD_HEADERS] + [
        [p.township, p.village, p.name, p.id_number, p.phone, p.members, p.cause, p.status, p.lifted_year, p.income]
        for p in PEOPLE])
    result = run("households", to_xlsx(Grid("Sheet1"), table), "名单.xlsx")
    assert result.exit_code == 0, result.output
    assert stdout_lines(result)[0] == "读取工作表“Sheet2”（第2个，共2个），表头在第1行（前面的工作表里没有这张表）"
    assert households_stored() == stored_households()


def test_when_no_sheet_has_the_table_the_closest_is_named(run, villages):  # noqa: F811
    headers = [h for h in rosters.HOUSEHOLD_HEADERS if h != "身份证号"]
    result = run("households", to_xlsx(instructions_sheet(), Grid("户表", [headers])), "名单.xlsx")
    assert result.exit_code == 1
    assert errors(result) == ["row 1: 身份证号: 缺少这一列；请使用模板中的表头（2个工作表里都没有找到完整的表头，"
                              "最接近的是“户表”的第1行；表格可能在其他文件里，或表头写法不同）"]


# --- IDs damaged by Excel -------------------------------------------------------------------------

DAMAGE = "row 5: 身份证号: 这一列被 Excel 当成数字，后三位变成了 000；请把这一列设为文本后重新粘贴原始号码（共%s）"
AS_NUMBER = "身份证号被 Excel 存成了数字（如 3.2E+17），后几位已经丢失"
ZEROS = "后三位是 000：这是被 Excel 改坏的号码，不是原来的身份证号"


@pytest.mark.parametrize("fmt", ["xlsx", pytest.param("libreoffice-xls", marks=needs_soffice)])
def test_ids_stored_as_numbers_are_refused_every_one(run, villages, fmt):  # noqa: F811
    data = to_xlsx(office_households(), ids_as_numbers=True)
    if fmt != "xlsx":
        data = rosters.libreoffice(data, "xls")
    result = run("households", data, f"花名册.{fmt.removeprefix('libreoffice-')}")
    assert result.exit_code == 1
    # 刘长海's ID ends in X: Excel keeps that one as text, and it is good
    assert errors(result) == [DAMAGE % "5行：第6、7、8、10、12行"] + [
        f"row {n}: 身份证号: {AS_NUMBER}" for n in (6, 7, 8, 10, 12)]
    assert count(Household) == 0


def test_ids_ending_in_000_are_refused_also_when_the_check_digit_passes(run, villages):  # noqa: F811
    lucky = zeros_id_passing_check()
    assert lucky.endswith("000") and not rosters.check_digit(lucky[:17]) != "0"
    ids = {p.name: excel_damaged(p.id_number) for p in PEOPLE if not p.id_number.endswith("X")}
    ids["王德山"] = lucky
    data = to_csv(office_households(ids=ids, merge_places=False), "gbk")
    result = run("households", data, "花名册.csv")
    assert result.exit_code == 1
    assert errors(result) == [DAMAGE % "5行：第6、7、8、10、12行"] + [
        f"row {n}: 身份证号: {ZEROS}" for n in (6, 7, 8, 10, 12)]
    assert count(Household) == 0


def test_one_real_id_ending_in_000_among_good_ones_is_stored(run, villages):  # noqa: F811
    lucky = zeros_id_passing_check()
    data = to_xlsx(office_households(ids={"王德山": lucky}))
    result = run("households", data, "花名册.xlsx")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Household.id_number).where(Household.head_name == "王德山")) == lucky


def test_the_damage_message_is_shown_on_the_page(admin_page, villages):
    html = upload(admin_page, "households", to_xlsx(office_households(), ids_as_numbers=True)).get_data(as_text=True)
    table = html[html.index('id="import-errors"'):]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells[:6] == ["5", "身份证号", "这一列被 Excel 当成数字，后三位变成了 000；请把这一列设为文本后重新粘贴原始号码"
                         "（共5行：第6、7、8、10、12行）", "6", "身份证号", AS_NUMBER]
    assert "确认导入" not in html


# --- figures that cannot be true --------------------------------------------------------------------

def income_book(*figures) -> bytes:
    sheet = Grid("集体经济收入")
    sheet.merge(sheet.add("2024年村集体经济收入统计表"), 0, 0, 4)
    sheet.add("序号", "乡镇", "村", "年度", "集体经济收入（万元）")
    for n, (village, township, figure) in enumerate(figures, start=1):
        sheet.add(n, township, village, 2024, figure)
    sheet.add("合计", None, None, None, sum(f for _v, _t, f in figures))
    return to_xls(sheet)


def test_yuan_typed_into_a_wan_yuan_column_is_refused(run, villages):  # noqa: F811
    data = income_book(("三星村", "柳堡镇", 18.65), ("朱家村", "临泽镇", 186500))
    result = run("incomes", data, "收入.xls")
    assert result.exit_code == 1
    assert errors(result) == ["row 4: 集体经济收入(万元): 186,500万元超过了1,000万元的合理上限，看起来是把“元”填进了"
                              "“万元”列；如果是186,500元，应填18.65"]
    assert count(VillageIncome) == 0
    fixed = run("incomes", income_book(("三星村", "柳堡镇", 18.65), ("朱家村", "临泽镇", 18.65)), "收入.xls")
    assert fixed.exit_code == 0, fixed.output
    assert sorted(db.session.execute(sa.select(Village.name, VillageIncome.year, VillageIncome.income_yuan)
                                     .join(Village)).all()) == [("三星村", 2024, 186_500), ("朱家村", 2024, 186_500)]


def test_a_village_target_in_yuan_is_refused(run):  # noqa: F811
    sheet = Grid("村", [["乡镇", "村", "经济薄弱村", "年度目标(万元)"], ["临泽镇", "朱家村", "是", 150000]])
    result = run("villages", to_xlsx(sheet))
    assert errors(result) == ["row 2: 年度目标(万元): 150,000万元超过了1,000万元的合理上限，看起来是把“元”填进了"
                              "“万元”列；如果是150,000元，应填15"]
    assert count(Village) == 0


def test_household_size_and_income_bounds_are_named_settings(run, villages, app):  # noqa: F811
    rows = [rosters.HOUSEHOLD_HEADERS]
    for p, members, income in ((PEOPLE[0], 25, 8620), (PEOPLE[1], 2, 1_500_000), (PEOPLE[2], 5, 0.86)):
        rows.append([p.township, p.village, p.name, p.id_number, p.phone, members, p.cause, p.status, p.lifted_year,
                     income])
    result = run("households", to_xlsx(Grid("户", rows)))
    assert errors(result) == [
        "row 2: 家庭人口: 一户25人超过了20人的合理上限；请核对（是否填成了全村或全组的人数？）",
        "row 3: 人均纯收入(元): 1,500,000元超过了100万元的合理上限；请核对单位和位数（是否多打了几位，或填成了分、全家或全村的数？）",
        "row 4: 人均纯收入(元): 0.86元低于100元，不合理，看起来是把“万元”填进了“元”列；如果是0.86万元，应填8,600"]
    app.config["IMPORT_MAX_HOUSEHOLD_MEMBERS"] = 30
    app.config["IMPORT_MAX_PER_CAPITA_YUAN"] = 2_000_000
    app.config["IMPORT_MIN_PER_CAPITA_YUAN"] = 0
    assert run("households", to_xlsx(Grid("户", rows))).exit_code == 0
    assert db.session.execute(sa.select(Household.members, HouseholdIncome.per_capita_yuan).join(HouseholdIncome)
                              .order_by(Household.id_number)).all() == [(25, 8620), (2, 1_500_000), (5, 1)]


# --- villages, cadres and pairings as offices write them -------------------------------------------

def test_the_village_roster_from_xls_with_merged_townships_and_ticks(run):  # noqa: F811
    result = run("villages", to_xls(village_roster()), "村庄.xls")
    assert result.exit_code == 0, result.output
    assert stdout_lines(result)[:2] == ["读取工作表“村庄名单”，表头在第2行", "第7行起是表尾（制表人:王五），不作为数据导入"]
    got = db.session.execute(sa.select(Township.name, Village.name, Village.is_weak, Village.target_yuan)
                             .join(Township).order_by(Village.id)).all()
    assert got == [("柳堡镇", "三星村", True, 185_000), ("柳堡镇", "周庄村", False, None),
                   ("临泽镇", "朱家村", True, None), ("临泽镇", "新民村", False, None)]


def cadre_sheet() -> Grid:
    return Grid("干部", [
        ["帮扶干部花名册"],
        ["序号", "姓名", "工作单位", "职务", "职级", "手机号码"],
        [1, "周建国", "区农业农村局", "副局长", "副处级", 13951270001],
        [2, "吴晓梅", "区财政局", "科长", "正科级", "139 5127 0002"],
        [3, "郑磊", "区财政局", "科员", "一级科员", "13951270003"],
        ["审核人：李四"],
    ])


def pairing_sheet() -> Grid:
    return Grid("结对", [
        ["帮扶干部联系电话", "帮扶类型", "身份证号", "乡镇", "村", "结对开始日期"],
        ["13951270001", "挂钩帮扶", None, "柳堡镇", "三星村", datetime(2025, 3, 1)],
        ["13951270002", "一对一结对", "'" + PEOPLE[0].id_number, None, None, datetime(2025, 3, 1)],
        ["13951270003", "一对一帮扶", PEOPLE[1].id_number, None, None, "2025-03-01 00:00:00"],
        ["13951270003", "结对帮扶", PEOPLE[2].id_number, None, None, "2025年3月1日"],
    ])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cadres_and_pairings_with_the_national_words_and_dates_with_times(run, villages, f, fmt):  # noqa: F811
    for p in PEOPLE[:3]:
        f.household(db.session.scalar(sa.select(Village).where(Village.name == p.village)), p.name,
                    id_number=p.id_number)
    f.commit()
    write = (lambda g: to_csv(g, "gbk")) if fmt == "csv" else to_xlsx
    assert run("cadres", write(cadre_sheet()), f"干部.{fmt}").exit_code == 0
    assert db.session.execute(sa.select(Cadre.name, Cadre.phone, Cadre.rank).order_by(Cadre.phone)).all() == [
        ("周建国", "13951270001", Rank.DISTRICT_LEADER), ("吴晓梅", "13951270002", Rank.SECTION),
        ("郑磊", "13951270003", Rank.GENERAL)]
    data = write(pairing_sheet())
    if fmt == "csv":
        assert "2025/3/1 0:00".encode() in data
    result = run("pairings", data, f"结对.{fmt}")
    assert result.exit_code == 0, result.output
    got = db.session.execute(sa.select(Cadre.name, Pairing.kind, Household.head_name, Village.name, Pairing.started_on)
                             .join(Cadre, Cadre.id == Pairing.cadre_id).join(Village, Village.id == Pairing.village_id)
                             .outerjoin(Household, Household.id == Pairing.household_id).order_by(Pairing.id)).all()
    assert [(c, k.value, h, v, d) for c, k, h, v, d in got] == [
        ("周建国", "link", None, "三星村", date(2025, 3, 1)),
        ("吴晓梅", "household", "王德山", "三星村", date(2025, 3, 1)),
        ("郑磊", "household", "李桂英", "三星村", date(2025, 3, 1)),
        ("郑磊", "household", "张家富", "三星村", date(2025, 3, 1))]


def test_the_upload_page_accepts_every_format(admin_page):
    html = admin_page.get("/imports/").get_data(as_text=True)
    assert 'accept=".xlsx,.xlsm,.xls,.ods,.csv"' in html
    assert ".xls（Excel 97-2003、WPS）" in html and ".ods" in html and "GBK" in html


def test_a_second_sheet_with_the_same_table_is_named_not_read(run, villages):  # noqa: F811
    def sheet(name, people):
        return Grid(name, [rosters.HOUSEHOLD_HEADERS] + [
            [p.township, p.village, p.name, p.id_number, p.phone, p.members, p.cause, p.status, p.lifted_year,
             p.income] for p in people])
    result = run("households", to_xlsx(sheet("2025年", PEOPLE[:2]), sheet("2024年", PEOPLE[2:])), "名单.xlsx")
    assert result.exit_code == 0, result.output
    assert stdout_lines(result)[:2] == ["读取工作表“2025年”（第1个，共2个），表头在第1行",
                                        "工作表“2024年”也有这张表的表头，没有读取；如要导入，请把它单独存成一个文件"]
    assert households_stored() == stored_households(PEOPLE[:2])
