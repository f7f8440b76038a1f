"""Export downloads and the yearly report on the web: who may export what, and what they read."""
import io
import re
import openpyxl
import pytest
import sqlalchemy as sa

from relief import reports
from relief.exports import yearly_report as report
from relief.extensions import db
from relief.models import AuditEvent
from relief.reports.yearly import township_figures
from relief.reports.yearly import YearFigures

from .sheets import table


def login(auth, name):
    auth.login(name)


def workbook(response):
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_admin_downloads_the_district_or_one_township(exported_year, client, auth):
    login(auth, "admin")
    assert client.get("/exports/").status_code == 200
    response = client.get("/exports/download?year=2025&format=xlsx")
    assert "attachment" in response.headers["Content-Disposition"]
    book = workbook(response)
    assert dict(table(book["汇总"])[1:])["结对帮扶户数"] == 3
    west = workbook(client.get(f"/exports/download?year=2025&township={exported_year['t2'].id}"))
    assert dict(table(west["汇总"])[1:])["结对帮扶户数"] == 1
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export")
                               .order_by(AuditEvent.id)).all()
    assert [e.note for e in event] == ["2025 全区 xlsx", "2025 西镇 xlsx"] and event[0].username == "admin"


def test_a_leader_exports_only_their_own_township(exported_year, client, auth):
    login(auth, "leader")
    page = client.get("/exports/").get_data(as_text=True)
    assert "东镇" in page and "西镇" not in page and "完整的身份证号" not in page
    book = workbook(client.get("/exports/download?year=2025"))
    names = [r[2] for r in table(book["结对帮扶户"])[1:]]
    assert sorted(names) == sorted([exported_year["h1"].head_name, "户二"])
    assert dict(table(book["汇总"])[1:])["经济薄弱村数"] == 1
    other = exported_year["t2"].id
    assert client.get(f"/exports/download?year=2025&township={other}").status_code == 404
    assert client.get(f"/exports/report?year=2025&township={other}").status_code == 404
    assert client.get("/exports/download?year=2025&full_ids=1").status_code == 403


@pytest.mark.parametrize("user", ["cad", "inspector"])
def test_cadres_and_inspectors_may_not_export(exported_year, client, auth, user):
    login(auth, user)
    assert client.get("/exports/").status_code == 403
    assert client.get("/exports/download?year=2025").status_code == 403
    assert client.get("/exports/report?year=2025").status_code == 403


def test_full_ids_on_the_web_are_for_the_admin_and_logged(exported_year, client, auth):
    login(auth, "admin")
    h1 = exported_year["h1"]
    masked = workbook(client.get("/exports/download?year=2025"))
    assert h1.id_number not in [r[3] for r in table(masked["结对帮扶户"])]
    full = workbook(client.get("/exports/download?year=2025&full_ids=1"))
    assert h1.id_number in [r[3] for r in table(full["结对帮扶户"])]
    notes = db.session.scalars(sa.select(AuditEvent.note).where(AuditEvent.action == "export").order_by(AuditEvent.id)).all()
    assert notes[-1] == "2025 全区 xlsx full-ids"


def test_one_sheet_as_csv(exported_year, client, auth):
    login(auth, "admin")
    response = client.get("/exports/download?year=2025&format=csv&sheet=households")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("乡镇,村,户主姓名,身份证号")
    assert "'=cmd|' /C calc'!A0" in text
    assert client.get("/exports/download?year=2025&format=csv&sheet=secrets").status_code == 400
    assert client.get("/exports/download?year=abc").status_code == 400


def test_the_yearly_report_page(exported_year, client, auth):
    login(auth, "admin")
    html = client.get("/exports/report?year=2025").get_data(as_text=True)
    headline = re.sub(r"<[^>]+>", "", re.search(r'id="headline">(.*?)</p>', html).group(1))  # its figures are links
    # 甲村 earned 120,000 of 150,000; 乙村 100,000 of its own 100,000: targets differ
    assert headline == "全年共实施帮扶项目1个，帮助4人脱贫；2个经济薄弱村中，集体经济收入1个达到年度目标，1个未达到。"
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', html)
    assert rows == ["东镇", "西镇", "合计"]
    assert 'data-print' in html and "onclick" not in html


def _figures(**over) -> YearFigures:
    base = dict(year=2025, weak_villages=34, villages_at_target=34, paired_households=1000, cadres=500,
                visits=20_000, spring_festival_coverage=0.95, mid_autumn_coverage=0.9, demands=300,
                demands_resolved=280, projects=423, project_beneficiaries=9000, people_lifted=35_000, aid_yuan=0)
    base.update(over)
    return YearFigures(**base)


def test_the_headline_in_the_seeds_own_words(app):
    with app.test_request_context():
        assert report.headline(_figures(), {150_000}) == \
            "全年共实施帮扶项目423个，帮助3.5万人脱贫；34个经济薄弱村集体经济收入均达到15万元。"
        assert report.headline(_figures(villages_at_target=30), {150_000}) == \
            "全年共实施帮扶项目423个，帮助3.5万人脱贫；34个经济薄弱村中，集体经济收入30个达到15万元，4个未达到。"
        assert report.headline(_figures(weak_villages=0, villages_at_target=0), set()) == \
            "全年共实施帮扶项目423个，帮助3.5万人脱贫。"
        assert "走访2万次" in report.work_sentence(_figures())


def test_the_headline_in_english(app):
    with app.test_request_context("/?lang=en"):
        text = report.headline(_figures(), {150_000})
        assert text == ("In the year, 423 relief projects were carried out and 35,000 people were lifted out of "
                        "poverty; the collective income of all 34 economically weak villages reached 150,000 yuan.")


def test_township_figures_agree_with_year_figures(exported_year, app):
    from relief.models import User

    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    for tid, name, figures in township_figures(admin, 2025):
        assert figures == reports.year_figures(admin, 2025, township_id=tid), name
    leader = db.session.scalar(sa.select(User).where(User.username == "leader"))
    assert [name for _, name, _ in township_figures(leader, 2025)] == ["东镇"]


@pytest.mark.parametrize("value", ["99999999999999", "无此镇", "-1"])
def test_an_unknown_township_is_a_404(exported_year, client, auth, value):
    login(auth, "admin")
    assert client.get(f"/exports/download?year=2025&township={value}").status_code == 404
    assert client.get(f"/exports/report?year=2025&township={value}").status_code == 404
