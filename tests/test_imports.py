"""`relief import KIND FILE`: headers, cell normalisation, row errors, all-or-nothing, idempotence."""
from datetime import date

import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import (
    AuditEvent,
    Cadre,
    Household,
    HouseholdIncome,
    MonitorCategory,
    Pairing,
    PairingKind,
    PovertyCause,
    Rank,
    StationRole,
    Township,
    Unit,
    Village,
    VillageIncome,
)

from .sheets import (
    CADRES,
    HOUSEHOLDS,
    INCOMES,
    LINE,
    PAIRINGS,
    VILLAGES,
    count,
    csv_bytes,
    errors,
    file_id,
    household_row,
    xlsx,
)


def imports() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "import"))


# --- headers -------------------------------------------------------------------------------

VARIANTS = {
    "contract order": (VILLAGES, lambda r: r),
    "shuffled with extra columns": (["备注", "经度", "村", "序号", "年度目标(万元)", "乡镇", "纬度", "经济薄弱村"],
                                    lambda r: ["无", r[4], r[1], 1, r[5], r[0], r[3], r[2]]),
    "full-width and spaces": (["乡 镇", " 村 ", "经济薄弱村（是/否）", "纬度", "经度", "年度目标（万元）"], lambda r: r),
    "starred and annotated": (["*乡镇", "*村", "经济薄弱村(是/否)*", "纬度", "经度", "年度目标(万元)(选填)"], lambda r: r),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_header_variant_imports_the_same_villages(run, variant):
    headers, arrange = VARIANTS[variant]
    rows = [["东镇", "甲村", "是", 33.9, 118.3, 15], ["东镇", "乙村", "否", None, None, None]]
    result = run("villages", xlsx([headers] + [arrange(r) for r in rows]))
    assert result.exit_code == 0, result.output
    got = db.session.execute(sa.select(Township.name, Village.name, Village.is_weak, Village.lat, Village.target_yuan)
                             .join(Township).order_by(Village.name)).all()
    assert got == [("东镇", "乙村", False, None, None), ("东镇", "甲村", True, 33.9, 150_000)]


def test_a_title_row_above_the_header_is_allowed_and_row_numbers_stay_true(run):
    data = xlsx([["2025年经济薄弱村名单"], VILLAGES, ["东镇", "甲村", "是", 33.9, 118.3, 15], ["东镇", "", "否"]])
    result = run("villages", data)
    assert errors(result) == ["row 4: 村: 不能为空"]


def test_a_missing_column_is_named_on_row_1(run, places):
    headers = [h for h in HOUSEHOLDS if h != "身份证号"]
    result = run("households", xlsx([headers, household_row(1)[:3] + household_row(1)[4:]]))
    assert result.exit_code == 1
    assert errors(result) == ["row 1: 身份证号: 缺少这一列；请使用模板中的表头"]


def test_a_column_given_twice_is_refused(run):
    result = run("villages", xlsx([VILLAGES + ["村"], ["东镇", "甲村", "是", None, None, None, "乙村"]]))
    assert errors(result) == ["row 1: 村: 这一列出现了两次（第2列和第7列）"]


# --- cells ---------------------------------------------------------------------------------

def test_cells_are_normalised(run, places):
    number = file_id(7)
    wide = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + number[-1]
    spaced = f" {wide[:6]} {wide[6:14]}　{wide[14:]} ".replace("X", "x")
    row = household_row(7, township=" 东镇 ", village="甲 村", 户主姓名="王　大伯", 身份证号=spaced,
                        联系电话="138 1234-5678", 家庭人口="３")
    row[HOUSEHOLDS.index("人均纯收入(元)")] = "８,６００"
    result = run("households", csv_bytes([HOUSEHOLDS, row]), "名单.csv")
    assert result.exit_code == 0, result.output
    h = db.session.scalar(sa.select(Household))
    assert (h.id_number, h.head_name, h.phone, h.members) == (number, "王大伯", "13812345678", 3)
    assert db.session.scalar(sa.select(HouseholdIncome.per_capita_yuan)) == 8600


def test_a_lower_case_x_in_an_id_is_upper_cased(run, places):
    from tests.factories import valid_id

    x_id = next(i for i in (valid_id(n, born=date(1966, 1, 2)) for n in range(200)) if i.endswith("X"))
    result = run("households", csv_bytes([HOUSEHOLDS, household_row(1, 身份证号=x_id.lower())]), "a.csv")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Household.id_number)) == x_id


def test_an_id_excel_stored_as_a_number_is_refused(run, places):
    row = household_row(1, 身份证号=float(file_id(1)[:17] + "1"))
    result = run("households", xlsx([HOUSEHOLDS, row]))
    assert result.exit_code == 1
    assert errors(result) == [
        "row 1: 身份证号: 这一列被 Excel 当成数字，后三位变成了 000；请把这一列设为文本后重新粘贴原始号码（共1行：第2行）",
        "row 2: 身份证号: 身份证号被 Excel 存成了数字（如 3.2E+17），后几位已经丢失"]
    sci = run("households", csv_bytes([HOUSEHOLDS, household_row(1, 身份证号="3.20123E+17")]), "a.csv")
    assert errors(sci)[1] == "row 2: 身份证号: 身份证号被 Excel 存成了数字（如 3.2E+17），后几位已经丢失"
    assert count(Household) == 0


def test_formulas_are_read_as_their_cached_values(run, places):
    row = household_row(1, 家庭人口=("=1+2", 3), 户主姓名=('="王"&"大伯"', "王大伯"))
    result = run("households", xlsx([HOUSEHOLDS, row]))
    assert result.exit_code == 0, result.output
    assert db.session.execute(sa.select(Household.head_name, Household.members)).one() == ("王大伯", 3)


def test_monitored_households_get_their_category(run, places):
    rows = [household_row(1, 状态="监测户"), household_row(2, 状态="监测户", 脱贫年度=2021),
            household_row(3, 状态="监测户(突发严重困难户)"), household_row(4, 状态="已脱贫", 脱贫年度=2020)]
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert result.exit_code == 0, result.output
    got = dict(db.session.execute(sa.select(Household.head_name, Household.monitor_category)).all())
    assert got == {"户主1": MonitorCategory.MARGINAL, "户主2": MonitorCategory.UNSTABLE,
                   "户主3": MonitorCategory.SUDDEN, "户主4": None}


# --- bad rows: each gives its own `row N: column: message` ------------------------------------

BAD_HOUSEHOLDS = [
    ({"身份证号": "32012319750309001"}, "身份证号", "身份证号应为18位，前17位为数字，最后一位为数字或X"),
    ({"身份证号": "320123197502300011"}, "身份证号", "身份证号中的出生日期不存在"),
    ({"身份证号": "320123207503090011"}, "身份证号", "身份证号中的出生日期不合理"),
    ({"身份证号": file_id(1)[:-1] + ("0" if file_id(1)[-1] != "0" else "1")}, "身份证号", "身份证号校验位不正确，请核对"),
    ({"联系电话": "12345"}, "联系电话", "联系电话应为11位手机号或带区号的固话"),
    ({"家庭人口": "三口"}, "家庭人口", "应为整数，如 1"),
    ({"家庭人口": 0}, "家庭人口", "应为不小于1的整数"),
    ({"致贫原因": "懒"}, "致贫原因", "应为以下之一：因病、因残、因学、因灾、缺技术、缺劳力、缺资金、缺土地、自身发展动力不足、其他"),
    ({"状态": "小康"}, "状态", "应为以下之一：贫困、已脱贫、监测户"),
    ({"状态": "已脱贫"}, "脱贫年度", "状态为已脱贫时必须填写脱贫年度"),
    ({"脱贫年度": "去年"}, "脱贫年度", None),
    ({"人均纯收入(元)": -5}, "人均纯收入(元)", "不能为负数"),
    ({"户主姓名": ""}, "户主姓名", "不能为空"),
    ({"户主姓名": "王" * 40}, "户主姓名", "不能超过32个字"),
    ({"乡镇": "南镇"}, "乡镇", "没有名为“南镇”的乡镇；请先导入村庄名单"),
    ({"村": "丁村"}, "村", "东镇没有名为“丁村”的村；请先导入村庄名单"),
]


@pytest.mark.parametrize("over,column,message", BAD_HOUSEHOLDS, ids=[b[1] + str(i) for i, b in enumerate(BAD_HOUSEHOLDS)])
def test_each_bad_household_cell_is_reported_on_its_row(run, places, over, column, message):
    rows = [household_row(1), household_row(2), household_row(3)]
    values = dict(zip(HOUSEHOLDS, rows[1]))
    values.update(over)
    rows[1] = [values[h] for h in HOUSEHOLDS]
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert result.exit_code == 1
    [line] = errors(result)
    assert line.startswith(f"row 3: {column}: ") and LINE.match(line)
    if message:
        assert line == f"row 3: {column}: {message}"
    assert count(Household) == 0


def test_duplicates_inside_the_file_and_against_the_database(run, places, f):
    west = f.village(f.township("西镇"), "丙村")
    f.household(west, "老户", id_number=file_id(9))
    f.commit()
    rows = [household_row(1), household_row(2), household_row(1, 户主姓名="重复"), household_row(9)]
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert errors(result) == ["row 4: 身份证号: 与第2行重复",
                              "row 5: 身份证号: 该身份证号已登记在西镇丙村（户主老户），不能重复登记；请核对"]
    assert count(Household) == 1


def test_every_bad_row_is_reported_and_nothing_is_stored(run, places):
    rows = [household_row(n) for n in range(1, 11)]
    rows[2][HOUSEHOLDS.index("家庭人口")] = "x"
    rows[5][HOUSEHOLDS.index("致贫原因")] = "?"
    rows[5][HOUSEHOLDS.index("状态")] = "?"
    rows[9][HOUSEHOLDS.index("村")] = "无村"
    result = run("households", xlsx([HOUSEHOLDS] + rows))
    assert result.exit_code == 1
    lines = errors(result)
    assert [line.split(":")[0] for line in lines] == ["row 4", "row 7", "row 7", "row 11"]
    assert all(LINE.match(line) for line in lines)
    assert "nothing was stored" in result.stdout
    assert (count(Household), count(HouseholdIncome), imports()) == (0, 0, 0)


@pytest.mark.parametrize("kind,headers,row,expected", [
    ("villages", VILLAGES, ["东镇", "甲村", "也许", None, None, None], "row 2: 经济薄弱村: 应填“是”或“否”"),
    ("villages", VILLAGES, ["东镇", "甲村", "是", 95, 118, None], "row 2: 纬度: 坐标（纬度 95，经度 118）不在中国境内：请检查数字，以及纬度、经度是否填反"),
    ("villages", VILLAGES, ["东镇", "甲村", "是", 33.1, None, None], "row 2: 经度: 纬度和经度要么都填，要么都不填"),
    ("villages", VILLAGES, ["东镇", "甲村", "是", None, None, "十五"], "row 2: 年度目标(万元): 应为数字（单位：万元），如 15.2"),
    ("cadres", CADRES, ["张三", "区财政局", "科员", "厅级", "13900000001"],
     "row 2: 职级: 应为以下之一：区级领导、科级、一般干部"),
    ("cadres", CADRES, ["张三", "区财政局", "科员", "科级", "025-84001234"], "row 2: 联系电话: 手机号应为以1开头的11位数字"),
    ("incomes", INCOMES, ["东镇", "甲村", 2999, 15], "row 2: 年度: 年份不能晚于今年（%d年）" % date.today().year),
    ("incomes", INCOMES, ["东镇", "甲村", "2024年", 15], "row 2: 年度: 应为四位年份，如 %d" % date.today().year),
    ("incomes", INCOMES, ["东镇", "甲村", 2024, "15万"], "row 2: 集体经济收入(万元): 应为数字（单位：万元），如 15.2"),
    ("pairings", PAIRINGS, ["13900000001", "户结对", None, None, None, date(2024, 1, 1)],
     "row 2: 身份证号: 户结对须填写帮扶户的身份证号"),
    ("pairings", PAIRINGS, ["13900000001", "结亲", None, "东镇", "甲村", date(2024, 1, 1)],
     "row 2: 结对类型: 应为以下之一：户结对、挂钩、驻村、驻村工作队"),
    ("pairings", PAIRINGS, ["13900000009", "挂钩", None, "东镇", "甲村", date(2024, 1, 1)],
     "row 2: 干部联系电话: 没有联系电话为 13900000009 的干部；请先导入干部名单"),
    ("pairings", PAIRINGS, ["13900000001", "户结对", file_id(5), None, None, date(2024, 1, 1)],
     "row 2: 身份证号: 没有该身份证号的帮扶户；请先导入帮扶户名单"),
    ("pairings", PAIRINGS, ["13900000001", "挂钩", None, "东镇", "甲村", "明年"],
     "row 2: 开始日期: 应为日期，如 2024-03-01；若是数字，请把这一列设置为“日期”格式"),
    ("pairings", PAIRINGS, ["13900000001", "挂钩", None, "东镇", "甲村", "2999-01-01"], "row 2: 开始日期: 不能晚于今天"),
])
def test_bad_rows_of_every_kind(run, places, f, kind, headers, row, expected):
    f.cadre("张三", phone="13900000001")
    f.commit()
    result = run(kind, xlsx([headers, row]))
    assert result.exit_code == 1
    assert errors(result) == [expected]


# --- what gets stored ------------------------------------------------------------------------

def _snapshot():
    out = {}
    for model in (Township, Village, Unit, Cadre, Household, HouseholdIncome, VillageIncome, Pairing):
        out[model.__tablename__] = [tuple(r) for r in db.session.execute(
            sa.select(*model.__table__.columns).order_by(model.id)).all()]
    return out


def test_importing_the_same_files_twice_changes_nothing(run, f):
    files = [
        ("villages", [VILLAGES, ["东镇", "甲村", "是", 33.9, 118.3, 15], ["东镇", "乙村", "否", None, None, None]]),
        ("cadres", [CADRES, ["张三", "区财政局", "科员", "一般干部", "13900000001"],
                    ["李四", "区委办公室", "副主任", "区级领导", "13900000002"]]),
        ("households", [HOUSEHOLDS, household_row(1), household_row(2, 状态="已脱贫", 脱贫年度=2023)]),
        ("pairings", [PAIRINGS, ["13900000001", "户结对", file_id(1), None, None, date(2024, 1, 1)],
                      ["13900000002", "挂钩", None, "东镇", "甲村", date(2024, 1, 1)]]),
        ("incomes", [INCOMES, ["东镇", "甲村", 2024, 15.5]]),
    ]
    for kind, rows in files:
        result = run(kind, xlsx(rows))
        assert result.exit_code == 0, (kind, result.output)
    first = _snapshot()
    assert [len(first[t]) for t in ("village", "cadre", "household", "pairing", "village_income")] == [2, 2, 2, 2, 1]
    for kind, rows in files:
        result = run(kind, xlsx(rows))
        assert result.exit_code == 0
        assert "新增0，更新0" in result.stdout
    assert _snapshot() == first
    assert "已存在跳过2" in run("pairings", xlsx(files[3][1])).stdout


def test_a_changed_row_updates_only_that_row(run, places):
    run("households", xlsx([HOUSEHOLDS, household_row(1), household_row(2)]))
    result = run("households", xlsx([HOUSEHOLDS, household_row(1, 家庭人口=5, 致贫原因="因残"), household_row(2)]))
    assert "新增0，更新1，未变1" in result.stdout
    h = db.session.scalar(sa.select(Household).where(Household.head_name == "户主1"))
    assert (h.members, h.cause) == (5, PovertyCause.DISABILITY)


def test_cadres_import_creates_units_and_ranks(run):
    result = run("cadres", csv_bytes([CADRES, ["张三", "区财政局", "科员", "", "13900000001"],
                                       ["李四", "区财政局", "副区长", "区级领导", "139 0000 0002"]]), "c.csv")
    assert result.exit_code == 0, result.output
    assert count(Unit) == 1
    assert dict(db.session.execute(sa.select(Cadre.phone, Cadre.rank)).all()) == {
        "13900000001": Rank.GENERAL, "13900000002": Rank.DISTRICT_LEADER}


def test_one_audit_event_per_import_with_the_counts(run, places):
    run("households", xlsx([HOUSEHOLDS, household_row(1), household_row(2)]), "户.xlsx")
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert event.changes == {"kind": "households", "file": "户.xlsx", "rows": 2, "created": 2, "updated": 0,
                             "unchanged": 0, "skipped": 0}
    assert event.username == "cli"
    # the bulk insert wrote no per-row audit events
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.entity == "household")) == 0


def test_dry_run_checks_but_stores_nothing(run, places):
    result = run("households", xlsx([HOUSEHOLDS, household_row(1)]), "a.xlsx", "--dry-run")
    assert result.exit_code == 0 and "Dry run" in result.stdout and "新增1" in result.stdout
    assert (count(Household), imports()) == (0, 0)
    bad = run("households", xlsx([HOUSEHOLDS, household_row(1, 家庭人口=0)]), "a.xlsx", "--dry-run")
    assert bad.exit_code == 1 and errors(bad) == ["row 2: 家庭人口: 应为不小于1的整数"]


# --- pairing norms ----------------------------------------------------------------------------

def test_pairing_import_counts_the_files_own_rows_against_the_norm(run, places, f):
    cadre = f.cadre("张三", phone="13900000001")
    east_jia = db.session.scalar(sa.select(Village).where(Village.name == "甲村"))
    held = f.household(east_jia, "老王")
    f.pairing(cadre, held)
    f.commit()
    run("households", xlsx([HOUSEHOLDS, household_row(1), household_row(2)]))
    rows = [["13900000001", "户结对", file_id(1), None, None, date(2024, 3, 1)],
            ["13900000001", "户结对", file_id(2), None, None, date(2024, 3, 1)]]
    result = run("pairings", xlsx([PAIRINGS] + rows))
    assert result.exit_code == 1
    assert errors(result) == ["row 3: 干部联系电话: 张三已结对2户（甲村老王、甲村户主1（本表第2行）），每名干部最多结对2户"]
    assert count(Pairing) == 1
    ok = run("pairings", xlsx([PAIRINGS, rows[0], ["13900000001", "挂钩", None, "东镇", "乙村", "2024/3/1"]]))
    assert ok.exit_code == 0, ok.output
    kinds = db.session.execute(sa.select(Pairing.kind, Village.name).join(Village).order_by(Pairing.id)).all()
    assert kinds[1:] == [(PairingKind.HOUSEHOLD, "甲村"), (PairingKind.LINK, "乙村")]


def test_the_pairing_norm_follows_the_setting(run, places, f, app):
    app.config["MAX_HOUSEHOLDS_PER_CADRE"] = 3
    f.cadre("张三", phone="13900000001")
    f.commit()
    run("households", xlsx([HOUSEHOLDS] + [household_row(n) for n in range(1, 5)]))
    rows = [["13900000001", "户结对", file_id(n), None, None, date(2024, 3, 1)] for n in range(1, 5)]
    result = run("pairings", xlsx([PAIRINGS] + rows))
    assert [line.split(":")[0] for line in errors(result)] == ["row 5"] and "最多结对3户" in result.stderr


def test_one_stationed_cadre_per_village_roles_and_deactivated_cadres(run, places, f):
    held = f.cadre("老驻村", phone="13900000009")
    f.pairing(held, village=db.session.scalar(sa.select(Village).where(Village.name == "甲村")),
              kind=PairingKind.STATIONED, role=StationRole.FIRST_SECRETARY)
    for n in range(1, 5):
        f.cadre(f"干部{n}", phone=f"1390000000{n}")
    f.cadre("停用", phone="13900000008").is_active = False
    f.commit()
    head = PAIRINGS + ["驻村职务"]
    rows = [["13900000001", "驻村", None, "东镇", "甲村", date(2024, 3, 1), None],
            ["13900000002", "驻村", None, "东镇", "乙村", date(2024, 3, 1), None],
            ["13900000003", "驻村", None, "东镇", "乙村", date(2024, 3, 1), None],
            ["13900000004", "户结对", file_id(1), None, None, date(2024, 3, 1), "队员"],
            ["13900000008", "挂钩", None, "东镇", "乙村", date(2024, 3, 1), None]]
    result = run("pairings", xlsx([head] + rows))
    assert errors(result) == [
        "row 2: 村: 甲村已有驻村干部老驻村；请先结束或调整该结对",
        "row 4: 村: 乙村已有驻村干部干部2（本表第3行）；请先结束或调整该结对",
        "row 5: 身份证号: 没有该身份证号的帮扶户；请先导入帮扶户名单",
        "row 5: 驻村身份: 只有驻村、驻村工作队结对需要填写驻村身份",
        "row 6: 干部联系电话: 停用已停用，不能新建结对",
    ]
    ok = run("pairings", xlsx([head, rows[1], ["13900000003", "驻村工作队", None, "东镇", "乙村", "2024-03-01", None],
                                ["13900000004", "驻村工作队", None, "东镇", "乙村", "2024-03-01", "工作队长"]]))
    assert ok.exit_code == 0, ok.output
    roles = db.session.execute(sa.select(Pairing.kind, Pairing.role).join(Village)
                               .where(Village.name == "乙村").order_by(Pairing.id)).all()
    assert roles == [(PairingKind.STATIONED, StationRole.FIRST_SECRETARY), (PairingKind.TEAM, StationRole.MEMBER),
                     (PairingKind.TEAM, StationRole.TEAM_LEADER)]


# --- exit codes -------------------------------------------------------------------------------

def test_exit_codes(run, places):
    assert run("villages", xlsx([VILLAGES, ["东镇", "戊村", "否"]])).exit_code == 0
    assert run("villages", xlsx([VILLAGES, ["东镇", "", "否"]])).exit_code == 1
    unreadable = run("villages", b"<html><table><tr><td>x</td></tr></table></html>")
    assert unreadable.exit_code == 2 and unreadable.stderr.startswith("error: ")


# --- the national rosters' words, pages pasted together, numbered empty rows -------------------------

NATIONAL_STATUSES = [
    ("贫困户", "poor", None), ("未脱贫", "poor", None), ("建档立卡贫困户", "poor", None),
    ("脱贫户", "lifted", None), ("已脱贫户", "lifted", None), ("脱贫享受政策", "lifted", None),
    ("监测户", "monitored", "unstable"), ("监测对象", "monitored", "unstable"),
    ("防返贫监测对象", "monitored", "unstable"), ("边缘易致贫户", "monitored", "marginal"),
    ("监测对象（突发严重困难户）", "monitored", "sudden"), ("脱贫不稳定户", "monitored", "unstable"),
]


def test_the_national_words_for_status_and_cause_are_stored_as_relief_s(run, places):
    causes = ["因病致贫", "因残致贫", "缺劳动力", "缺乏资金", "自身发展能力不足", "缺水", "其它", "因学",
              "因灾致贫", "缺少技术", "缺少土地", "交通条件落后"]
    rows = [household_row(n, 状态=word, 脱贫年度=2019, 致贫原因=causes[n - 1])
            for n, (word, _s, _c) in enumerate(NATIONAL_STATUSES, start=1)]
    result = run("households", csv_bytes([HOUSEHOLDS] + rows, "gbk"), "户.csv")
    assert result.exit_code == 0, result.output
    got = db.session.execute(sa.select(Household.head_name, Household.status, Household.monitor_category,
                                       Household.cause)).all()
    by_name = {name: (s.value, c.value if c else None, cause.value) for name, s, c, cause in got}
    assert [by_name[f"户主{n}"][:2] for n in range(1, len(rows) + 1)] == [(s, c) for _w, s, c in NATIONAL_STATUSES]
    assert [by_name[f"户主{n}"][2] for n in range(1, len(rows) + 1)] == [
        "illness", "disability", "no_labour", "no_funds", "no_drive", "other", "other", "schooling", "disaster",
        "no_skills", "no_land", "other"]


def test_ranks_kinds_and_yes_no_in_the_offices_words(run, places, f):
    result = run("villages", csv_bytes([VILLAGES, ["东镇", "丙村", "√"], ["东镇", "丁村", "×"], ["东镇", "戊村", "否"]]),
                 "v.csv")
    assert result.exit_code == 0, result.output
    assert dict(db.session.execute(sa.select(Village.name, Village.is_weak).where(
        Village.name.in_(["丙村", "丁村", "戊村"]))).all()) == {"丙村": True, "丁村": False, "戊村": False}
    cadres = [CADRES, ["甲", "区委办", "副区长", "副处级", "13900000001"], ["乙", "区委办", "科长", "正科", "13900000002"],
              ["丙", "区委办", "科员", "二级科员", "13900000003"]]
    assert run("cadres", csv_bytes(cadres), "c.csv").exit_code == 0
    assert dict(db.session.execute(sa.select(Cadre.name, Cadre.rank)).all()) == {
        "甲": Rank.DISTRICT_LEADER, "乙": Rank.SECTION, "丙": Rank.GENERAL}
    pairs = [PAIRINGS + ["驻村身份"], ["13900000001", "挂钩帮扶", None, "东镇", "甲村", "2024/3/1 0:00", None],
             ["13900000002", "驻村干部", None, "东镇", "乙村", "2024-03-01 00:00:00", "驻村第一书记"],
             ["13900000003", "工作队", None, "东镇", "乙村", "2024年3月1日", "工作队员"]]
    result = run("pairings", csv_bytes(pairs), "p.csv")
    assert result.exit_code == 0, result.output
    assert db.session.execute(sa.select(Pairing.kind, Pairing.role, Pairing.started_on).order_by(Pairing.id)).all() == [
        (PairingKind.LINK, None, date(2024, 3, 1)), (PairingKind.STATIONED, StationRole.FIRST_SECRETARY, date(2024, 3, 1)),
        (PairingKind.TEAM, StationRole.MEMBER, date(2024, 3, 1))]


def test_a_repeated_header_and_numbered_empty_rows_are_not_rows(run, places):
    rows = [HOUSEHOLDS, household_row(1), HOUSEHOLDS, household_row(2)] + [[None] * len(HOUSEHOLDS) for _ in range(3)]
    numbered = [["序号"] + HOUSEHOLDS] + [[n] + row for n, row in enumerate(rows[1:], start=1)]
    result = run("households", xlsx(numbered))
    assert result.exit_code == 0, result.output
    assert "第3行是小计或重复的表头，已跳过" in result.stdout and "共2行" in result.stdout
    assert db.session.scalars(sa.select(Household.head_name).order_by(Household.head_name)).all() == ["户主1", "户主2"]


def test_an_apostrophe_before_an_id_is_dropped(run, places):
    result = run("households", csv_bytes([HOUSEHOLDS, household_row(1, 身份证号="'" + file_id(1)),
                                          household_row(2, 身份证号="‘" + file_id(2))]), "a.csv")
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(sa.select(Household.id_number))) == sorted([file_id(1), file_id(2)])
