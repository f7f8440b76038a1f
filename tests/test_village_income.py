"""Village collective income entry, targets and their resolution, progress bands."""
import re

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.fields import MoneyError, parse_wan, wan_text
from relief.models import AuditEvent, IncomeTarget, ProjectStatus, Role, Village, VillageIncome
from relief.targets import BANDS, progress_band, progress_ratio, target_for, village_band

from .forms import submit


def _incomes(village):
    return db.session.execute(sa.select(VillageIncome.year, VillageIncome.income_yuan)
                              .where(VillageIncome.village_id == village.id).order_by(VillageIncome.year)).all()


# -- money in 万元 ------------------------------------------------------------------------

@pytest.mark.parametrize("text, yuan", [
    ("15", 150_000), ("12.3456", 123_456), ("0", 0), ("1,234.5", 12_345_000), ("15万", 150_000),
    (" 8.1 万元 ", 81_000), ("", None), ("0.0001", 1),
])
def test_wan_text_becomes_exact_yuan(text, yuan):
    assert parse_wan(text) == yuan


@pytest.mark.parametrize("text, message", [
    ("-1", "不能为负数"), ("abc", "不是数字"), ("NaN", "不是数字"), ("1.23456", "最多保留4位小数"),
    ("99999999999", "金额过大"),
])
def test_wan_text_that_is_not_money_says_what_to_fix(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_wan(text)


def test_yuan_shown_back_in_wan_loses_nothing():
    assert [wan_text(y) for y in (123_456, 150_000, 0, 5)] == ["12.3456", "15", "0", "0.0005"]


# -- progress arithmetic -------------------------------------------------------------------

@pytest.mark.parametrize("income, target, band", [
    (0, 150_000, "red"), (89_999, 150_000, "red"), (90_000, 150_000, "orange"), (149_999, 150_000, "orange"),
    (150_000, 150_000, "green"), (300_000, 150_000, "green"), (59, 100, "red"), (60, 100, "orange"),
    (99, 100, "orange"), (100, 100, "green"), (0, 0, "green"),
])
def test_progress_bands_at_their_boundaries(income, target, band):
    assert progress_band(progress_ratio(income, target)) == band


def test_the_sql_bands_agree_with_the_python_bands(app, f):
    """The list filter (SQL, integers) and the badge (Python, ratio) must never disagree."""
    t = f.township()
    cases = {89_999: "red", 90_000: "orange", 149_999: "orange", 150_000: "green", 0: "red"}
    ids = {}
    for income, band in cases.items():
        v = f.village(t, is_weak=True)
        f.income(v, 2025, income)
        ids[v.id] = band
    f.commit()
    for band in BANDS:
        found = set(db.session.scalars(sa.select(Village.id).where(village_band(band, 2025))))
        assert found == {vid for vid, b in ids.items() if b == band}, band


# -- entering incomes ----------------------------------------------------------------------

def test_admin_enters_income_in_wan_and_it_is_stored_in_exact_yuan(admin_client, f):
    v = f.village(is_weak=True)
    f.commit()
    html = submit(admin_client, f"/villages/{v.id}/income", year="2025", income="12.3456").get_data(as_text=True)
    assert "已录入 2025 年收入" in html
    assert _incomes(v) == [(2025, 123_456)]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "village_income"))
    assert event.action == "create" and event.changes["income_yuan"] == [None, 123_456]


def test_entering_the_same_year_again_updates_it(admin_client, f):
    v = f.village(is_weak=True)
    f.income(v, 2025, 100_000)
    f.commit()
    html = submit(admin_client, f"/villages/{v.id}/income", year="2025", income="16").get_data(as_text=True)
    assert "已更新 2025 年收入" in html
    assert _incomes(v) == [(2025, 160_000)]


@pytest.mark.parametrize("year, income, message", [
    ("2025", "-3", "金额不能为负数"),
    ("2025", "十五", "不是数字"),
    ("2025", "", "请填写收入"),
    ("", "15", "请填写年度"),
    ("二〇二五", "15", "请填写整数"),
    ("1999", "15", "应在 2000 到 2100 之间"),
])
def test_bad_income_entry_is_refused_with_a_message_and_nothing_is_stored(admin_client, f, year, income, message):
    v = f.village(is_weak=True)
    f.commit()
    r = submit(admin_client, f"/villages/{v.id}/income", year=year, income=income)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and message in html
    assert 'aria-invalid="true"' in html
    assert _incomes(v) == []


def test_income_for_a_future_year_is_refused(admin_client, f):
    v = f.village(is_weak=True)
    f.commit()
    html = submit(admin_client, f"/villages/{v.id}/income", year=str(today().year + 1), income="15") \
        .get_data(as_text=True)
    assert f"年度应在 2000 到 {today().year} 之间" in html
    assert _incomes(v) == []


@pytest.mark.parametrize("role", [Role.LEADER, Role.INSPECTOR, Role.CADRE])
def test_only_the_admin_enters_incomes(client, auth, f, role):
    v = f.village(is_weak=True)
    user = f.user(role=role, township=v.township if role is Role.LEADER else None)
    f.commit()
    auth.login(user.username)
    assert client.get(f"/villages/{v.id}/income").status_code == 403
    assert client.get(f"/villages/{v.id}/target").status_code == 403
    assert client.get("/villages/targets").status_code == 403


# -- targets -------------------------------------------------------------------------------

def test_targets_resolve_village_year_then_village_then_district_year_then_default(admin_client, f, app):
    v = f.village(is_weak=True)
    f.commit()
    assert target_for(v, 2025) == 150_000
    submit(admin_client, "/villages/targets", year="2025", target="12")
    assert target_for(v, 2025) == 120_000
    submit(admin_client, f"/villages/{v.id}/target", year="", target="18")
    db.session.refresh(v)
    assert target_for(v, 2025) == 180_000 and target_for(v, 2024) == 180_000
    submit(admin_client, f"/villages/{v.id}/target", year="2025", target="20.5")
    assert target_for(v, 2025) == 205_000 and target_for(v, 2024) == 180_000
    # an empty target removes the setting again
    submit(admin_client, f"/villages/{v.id}/target", year="2025", target="")
    assert target_for(v, 2025) == 180_000
    submit(admin_client, f"/villages/{v.id}/target", year="", target="")
    db.session.refresh(v)
    assert v.target_yuan is None and target_for(v, 2025) == 120_000
    submit(admin_client, "/villages/targets", year="2025", target="")
    assert target_for(v, 2025) == 150_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IncomeTarget)) == 0


def test_a_negative_target_is_refused(admin_client, f):
    r = submit(admin_client, "/villages/targets", year="2025", target="-15")
    assert r.status_code == 422 and "金额不能为负数" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IncomeTarget)) == 0


# -- the village page ----------------------------------------------------------------------

def test_village_page_shows_history_chart_progress_and_projection(admin_client, f):
    year = today().year
    v = f.village(name="甲村", is_weak=True)
    f.income(v, year - 1, 160_000)
    f.income(v, year, 60_000)
    f.project(v, "来料加工点", status=ProjectStatus.BUILDING, expected_income_yuan=50_000,
              actual_income_yuan=10_000)
    f.commit()
    html = admin_client.get(f"/villages/{v.id}").get_data(as_text=True)
    assert html.count('class="chart-bar"') == 2
    assert 'role="img"' in html and "历年村集体经济收入" in html
    assert "进度不足60%" in html and "已达标（100%及以上）" in html
    # projected = 60,000 + (50,000 - 10,000) pending = 100,000 of 150,000
    assert "10.0 万元（66%）" in html and "预计仍差 5.0 万元" in html
    assert "来料加工点" in html


def test_village_list_filters_weak_villages_by_band(admin_client, f):
    t = f.township()
    red, green = f.village(t, "红村", is_weak=True), f.village(t, "绿村", is_weak=True)
    f.village(t, "普通村")
    f.income(red, 2025, 10_000)
    f.income(green, 2025, 150_000)
    f.commit()
    html = admin_client.get("/villages/?band=red&year=2025").get_data(as_text=True)
    assert "红村" in html and "绿村" not in html and "普通村" not in html
    html = admin_client.get("/villages/?band=green&year=2025").get_data(as_text=True)
    assert re.search("绿村", html) and "红村" not in html
