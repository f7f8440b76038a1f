"""The yearly workbook: sheets, 汇总 figures, formula-free text, masking, CSV, the command line."""

import openpyxl
import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import (
    AuditEvent,
)

from .factories import HOSTILE
from .sheets import by_header, table

#: the six sheets of CONTRACT.md, then 回访 (issue 8) and 监测对象 (issue 16)
SHEETS = ["汇总", "村集体经济", "结对帮扶户", "帮扶干部", "帮扶项目", "走访记录", "回访", "监测对象"]


@pytest.fixture
def export(runner, tmp_path):
    def run(*extra, name="out.xlsx"):
        path = tmp_path / name
        db.session.commit()
        result = runner.invoke(args=["relief", "export", "--year", "2025", "-o", str(path), *extra])
        assert result.exit_code == 0, result.output
        return path
    return run


def test_the_workbook_has_the_six_sheets_and_the_summary_rows(exported_year, export):
    book = openpyxl.load_workbook(export())
    assert book.sheetnames == SHEETS
    summary = book["汇总"]
    rows = table(summary)
    assert rows[0] == ("指标", "数值")
    figures = dict(rows[1:])
    assert figures == pytest.approx({
        "经济薄弱村数": 2, "达标村数": 1, "结对帮扶户数": 3, "帮扶干部数": 2, "走访次数": 6,
        # rates as every page shows them (relief.rates): 1/3 reads 33 %, 2/3 reads 66 %
        "春节慰问覆盖率": 0.33, "中秋慰问覆盖率": 0.66, "诉求数": 2, "办结诉求数": 1, "帮扶项目数": 1,
        "项目受益人数": 30, "当年脱贫人数": 4, "走访帮扶资金(元)": 500})
    assert [r[0] for r in rows[1:13]] == ["经济薄弱村数", "达标村数", "结对帮扶户数", "帮扶干部数", "走访次数",
                                          "春节慰问覆盖率", "中秋慰问覆盖率", "诉求数", "办结诉求数", "帮扶项目数",
                                          "项目受益人数", "当年脱贫人数"]
    rate = next(r for r in summary.iter_rows(min_row=2) if r[0].value == "春节慰问覆盖率")[1]
    assert rate.number_format == "0%" and 0 <= rate.value <= 1
    for name in SHEETS:
        assert book[name].freeze_panes == "A2"
    # every list sheet holds exactly the rows its headline figure counts
    assert book["结对帮扶户"].max_row - 1 == figures["结对帮扶户数"]
    assert book["帮扶干部"].max_row - 1 == figures["帮扶干部数"]
    assert book["帮扶项目"].max_row - 1 == figures["帮扶项目数"]
    assert book["走访记录"].max_row - 1 == figures["走访次数"]
    assert book["村集体经济"].max_row - 1 == figures["经济薄弱村数"]


def test_village_household_and_cadre_sheets(exported_year, export):
    book = openpyxl.load_workbook(export("--full-ids"))
    villages = {r["村"]: r for r in by_header(book["村集体经济"])}
    assert villages["甲村"]["2025年收入(元)"] == 120_000 and villages["甲村"]["2024年收入(元)"] == 160_000
    assert villages["甲村"]["2025年目标(元)"] == 150_000 and villages["甲村"]["是否达标"] == "否"
    assert villages["甲村"]["挂钩领导"] == "乙干部" and villages["甲村"]["完成率"] == pytest.approx(0.8)
    assert villages["乙村"]["是否达标"] == "是" and villages["乙村"]["2023年收入(元)"] is None
    households = {r["户主姓名"]: r for r in by_header(book["结对帮扶户"])}
    assert set(households) == {"=cmd|' /C calc'!A0", "户二", "户三"}
    h1 = households["=cmd|' /C calc'!A0"]
    assert (h1["帮扶干部"], h1["走访次数"], h1["节日慰问次数"], h1["诉求数"], h1["办结诉求数"]) == ("甲干部", 3, 1, 1, 1)
    assert h1["状态"] == "贫困" and h1["身份证号"] == exported_year["h1"].id_number
    assert households["户三"]["走访次数"] == 1  # the 2024 visit is not counted
    cadres = {r["姓名"]: r for r in by_header(book["帮扶干部"])}
    assert (cadres["甲干部"]["结对户数"], cadres["甲干部"]["走访次数"], cadres["甲干部"]["办结诉求数"]) == (2, 4, 1)
    assert cadres["乙干部"]["挂钩/驻村"] == "甲村（挂钩）" and cadres["乙干部"]["职级"] == "区级领导"
    [project] = by_header(book["帮扶项目"])
    assert project["资金(元)"] == 800_000 and project["负责干部"] == "乙干部" and project["类型"] == "光伏"
    visits = by_header(book["走访记录"])
    assert len(visits) == 6 and [v["走访日期"].date() for v in visits] == sorted(v["走访日期"].date() for v in visits)


def test_text_that_looks_like_a_formula_is_written_as_text(exported_year, export):
    book = openpyxl.load_workbook(export())
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    # xlsxwriter stores a carriage return as OOXML's _x000D_ escape, which openpyxl leaves as it is
    notes = {c.value.replace("_x000D_", "\r"): c.data_type for c in book["走访记录"]["H"][1:]}
    for text in HOSTILE:
        assert notes.get(text) == "s", text
    names = [c for c in book["结对帮扶户"]["C"] if c.value == "=cmd|' /C calc'!A0"]
    assert names and names[0].data_type == "s"
    assert any(c.value == "=1+1 光伏电站" and c.data_type == "s" for c in book["帮扶项目"]["C"])


def test_numbers_are_masked_unless_full_ids(exported_year, export):
    h1 = exported_year["h1"]
    masked = openpyxl.load_workbook(export())
    households = {r["户主姓名"]: r for r in by_header(masked["结对帮扶户"])}
    row = households[h1.head_name]
    assert row["身份证号"] == h1.id_number[:6] + "********" + h1.id_number[-4:]
    assert row["联系电话"] == "138****5678"
    assert {r["联系电话"] for r in by_header(masked["帮扶干部"])} == {"139****0001", "139****0002"}
    full = openpyxl.load_workbook(export("--full-ids", name="full.xlsx"))
    assert {r["联系电话"] for r in by_header(full["帮扶干部"])} == {"13900000001", "13900000002"}
    notes = db.session.scalars(sa.select(AuditEvent.note).where(AuditEvent.action == "export").order_by(AuditEvent.id)).all()
    assert notes == ["2025 全区 xlsx", "2025 全区 xlsx full-ids"]


def test_one_township_and_csv_from_the_command_line(exported_year, export):
    book = openpyxl.load_workbook(export("--township", "西镇"))
    assert dict(table(book["汇总"])[1:])["结对帮扶户数"] == 1
    assert [r["户主姓名"] for r in by_header(book["结对帮扶户"])] == ["户三"]
    path = export("--sheet", "visits", name="v.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    # the contract's columns, then (for the admin and the inspector, who read the flags) 照片疑点
    assert text.splitlines()[0] == "走访日期,乡镇,村,户主姓名,帮扶干部,走访类型,帮扶金额(元),走访情况,录入时间,照片疑点"
    assert "'+1 发放慰问金" in text and "'-2 减少开支" in text and "'@SUM(A1:A9)" in text
    assert "'=HYPERLINK" in text and ",=" not in text


def test_command_line_mistakes(exported_year, runner, tmp_path):
    bad = runner.invoke(args=["relief", "export", "--year", "2025", "-o", str(tmp_path / "a.xlsx"),
                              "--township", "无此镇"])
    assert bad.exit_code == 1 and "无此镇" in bad.stderr
    assert not (tmp_path / "a.xlsx").exists()
    assert runner.invoke(args=["relief", "export", "--year", "2025", "-o", str(tmp_path / "a.csv")]).exit_code == 2


def test_the_workbook_has_a_callback_sheet_with_masked_phones(app, f, tmp_path):
    """Issue 8: the call-backs of the year follow the six contract sheets."""
    from openpyxl import load_workbook

    from relief.exports.services import Operator, export

    c = f.cadre(name="回访干部")
    h = f.household(name="回访户", phone="13812345678")
    f.pairing(c, h)
    f.callback(h, c, "2025-03", reached=True)
    f.commit()
    out = tmp_path / "cb.xlsx"
    with open(out, "wb") as fh:
        export(fh, Operator(), 2025, None)
    ws = load_workbook(out, read_only=True)["回访"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r and "户主姓名" in r)
    assert header[:3] == ("月份", "乡镇", "村") or header[:3] == ["月份", "乡镇", "村"]
    rows = rows[rows.index(header):]
    body = [r for r in rows[1:] if r and r[0]]
    assert len(body) == 1 and "回访户" in body[0] and "138****5678" in body[0]
