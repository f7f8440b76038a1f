"""`relief monitor-line`, `relief monitor-scan`, `relief import risk-list FILE --source NAME`, and the
household import running the rules: what they store, what they print, their exit codes."""
import re

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import LeadSource, MonitorLine, RiskLead

from .factories import valid_id
from .monitoring_support import income, leads_of, line
from .sheets import HOUSEHOLDS, csv_bytes, household_row, xlsx


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(RiskLead))


def test_monitor_line_sets_the_years_line_and_finds_the_households_under_it(runner, w):
    income(w.h1, 2025, 6500)
    db.session.commit()
    result = runner.invoke(args=["relief", "monitor-line", "--year", "2025", "--yuan", "6900"])
    assert result.exit_code == 0, result.output
    assert "2025: 6,900 yuan" in result.output and "income_below_line 1" in result.output
    assert db.session.scalar(sa.select(MonitorLine.yuan).where(MonitorLine.year == 2025)) == 6900
    again = runner.invoke(args=["relief", "monitor-line", "--year", "2025", "--yuan", "7200"])
    assert again.exit_code == 0 and db.session.scalar(sa.select(MonitorLine.yuan)) == 7200
    assert len(leads_of(w.h1)) == 1


def test_monitor_line_refuses_an_implausible_line(runner, w):
    result = runner.invoke(args=["relief", "monitor-line", "--year", "2025", "--yuan", "69"])
    assert result.exit_code == 1 and "监测范围应为" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MonitorLine)) == 0


def test_monitor_scan_is_the_daily_run(runner, w):
    line(2025, 6900)
    income(w.h1, 2025, 5000)
    w.h2.check_water = False
    db.session.commit()
    result = runner.invoke(args=["relief", "monitor-scan"])
    assert result.exit_code == 0, result.output
    assert "new leads: 2" in result.output and "guarantee_failed 1" in result.output
    assert runner.invoke(args=["relief", "monitor-scan"]).output.count("new leads: 0") == 1


def test_monitor_scan_warns_when_no_line_is_set(runner, w):
    result = runner.invoke(args=["relief", "monitor-scan"])
    assert result.exit_code == 0 and "no income line" in result.output


@pytest.fixture
def risk_list(runner, tmp_path):
    def invoke(rows, source="医保", name="医保名单.csv", data=None):
        path = tmp_path / name
        path.write_bytes(data if data is not None else csv_bytes([["身份证号", "姓名", "说明"], *rows]))
        db.session.commit()
        args = ["relief", "import", "risk-list", str(path)] + (["--source", source] if source else [])
        return runner.invoke(args=args)
    return invoke


def test_a_departments_list_makes_leads_and_lists_the_people_not_on_the_roster(risk_list, w):
    stranger = valid_id(901)
    result = risk_list([[w.h1.id_number, "张一", "住院自付4.2万元"], [stranger, "王五", "住院自付3万元"],
                        [w.h2.id_number, "李三", ""]])
    assert result.exit_code == 0, result.output
    assert "新增风险线索2条" in result.output and "不在帮扶户名册中1人" in result.output
    assert re.search(r"row 3: 王五 320123\*{8}\d{4}", result.output) and stranger not in result.output
    (lead,) = leads_of(w.h1, LeadSource.DEPARTMENT)
    assert (lead.cause, lead.assignee_cadre_id) == ("medical_insurance", w.c1.id)
    assert lead.evidence == {"department": "medical_insurance", "note": "住院自付4.2万元", "file": "医保名单.csv",
                             "row": 2}
    again = risk_list([[w.h1.id_number, "张一", "住院"]])  # the same list next month: nothing twice
    assert again.exit_code == 0 and "今年已有1条" in again.output and _count() == 2
    other = risk_list([[w.h1.id_number, "张一", "低保边缘户"]], source="民政")
    assert other.exit_code == 0 and len(leads_of(w.h1, LeadSource.DEPARTMENT)) == 2


def test_a_malformed_row_refuses_the_file_and_says_where(risk_list, w):
    good = valid_id(903)
    broken = good[:17] + ("1" if good[17] != "1" else "2")
    result = risk_list([[w.h1.id_number, "张一", ""], [broken, "王五", ""]])
    assert result.exit_code == 1
    assert "row 3: 身份证号: 身份证号校验位不正确，请核对" in result.stderr
    assert _count() == 0


def test_a_list_read_through_the_import_pipeline(risk_list, w):
    rows = [["某某县医疗保障局 大额自付人员名单"], [], ["序号", "姓名", "公民身份号码", "说明"],
            [1, "张一", w.h1.id_number, "自付5万"], ["合计", "", "", ""]]
    result = risk_list(None, name="名单.xlsx", data=xlsx(rows))
    assert result.exit_code == 0, result.output
    assert "表头在第3行" in result.output and "新增风险线索1条" in result.output


@pytest.mark.parametrize("source, data, code", [("医保", b"\x00\x01\x02binary", 2), ("财政", None, 2), (None, None, 2)])
def test_an_unreadable_file_or_an_unknown_source_exits_2(risk_list, w, source, data, code):
    result = risk_list([[w.h1.id_number, "张一", ""]], source=source, data=data)
    assert result.exit_code == code and _count() == 0


def test_a_list_with_a_header_and_no_rows_is_refused(risk_list, w):
    result = risk_list([])
    assert result.exit_code == 2 and "表头下面没有数据行" in result.stderr and _count() == 0

def test_a_missing_header_is_reported_on_stderr(risk_list, w):
    result = risk_list(None, data=csv_bytes([["姓名", "说明"], ["张一", ""]]))
    assert result.exit_code == 1 and "身份证号: 缺少这一列" in result.stderr


def test_importing_households_runs_the_rules_on_them(runner, tmp_path, f):
    f.township("东镇")
    from relief.models import Township

    f.village(db.session.scalar(sa.select(Township)), "甲村")
    line(today().year, 6900)
    db.session.commit()
    path = tmp_path / "户.csv"
    path.write_bytes(csv_bytes([HOUSEHOLDS, household_row(1, 状态="已脱贫", 脱贫年度=2020),
                                household_row(2, 状态="已脱贫", 脱贫年度=2020, **{"人均纯收入(元)": 9000})]))
    result = runner.invoke(args=["relief", "import", "households", str(path)])
    assert result.exit_code == 0, result.output
    found = db.session.execute(sa.select(RiskLead.source, RiskLead.year)).all()
    assert found == [(LeadSource.INCOME_BELOW_LINE, today().year)]
