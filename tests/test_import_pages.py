"""The admin's import page: upload → preview (masked) → confirm, the errors table, limits, templates."""
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import AuditEvent, Household, Role

from .conftest import csrf_token
from .sheets import HOUSEHOLDS, VILLAGES, confirm, file_id, household_row, upload, xlsx


@pytest.fixture
def importer(admin_client, f):
    """The admin signed in, with the township 东镇 and its village 甲村 to import into."""
    east = f.township("东镇")
    f.village(east, "甲村")
    f.commit()
    return admin_client


def test_only_the_admin_may_import(client, auth, f):
    f.user("lead", Role.LEADER)
    f.commit()
    auth.login("lead")
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/templates/households.xlsx").status_code == 403


def test_preview_then_confirm_stores_the_rows(importer):
    page = upload(importer, "households", xlsx([HOUSEHOLDS, household_row(1), household_row(2)]))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "确认后将新增 2 条" in html and "户主1" in html
    # numbers are masked in the preview
    assert file_id(1) not in html and file_id(1)[:6] + "********" + file_id(1)[-4:] in html
    assert "13800000001" not in html and "138****0001" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 0
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    done = confirm(importer, token)
    assert done.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 2
    assert "导入完成" in importer.get("/imports/").get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert event.username == "admin" and event.changes["created"] == 2
    # the token is used up: confirming again imports nothing more
    again = confirm(importer, token)
    assert again.status_code == 302 and "已过期" in importer.get("/imports/").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "import")) == 1


def test_row_errors_are_shown_as_a_table_without_a_confirm_button(importer):
    rows = [household_row(1), household_row(2, 家庭人口=0), household_row(3, 村="无村")]
    page = upload(importer, "households", xlsx([HOUSEHOLDS] + rows))
    html = page.get_data(as_text=True)
    assert "发现 2 处问题，涉及 2 行" in html and "没有导入任何数据" in html
    table = html[html.index('id="import-errors"'):html.index("</table>", html.index('id="import-errors"'))]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells == ["3", "家庭人口", "应为不小于1的整数", "4", "村", "东镇没有名为“无村”的村；请先导入村庄名单"]
    assert 'name="token"' not in html and "确认导入" not in html


def test_a_token_is_only_good_for_the_user_who_uploaded(importer, client, auth, f):
    html = upload(importer, "villages", xlsx([VILLAGES, ["东镇", "乙村", "否"]])).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    auth.logout()
    f.user("admin2", Role.ADMIN)
    f.commit()
    auth.login("admin2")
    assert confirm(client, token).status_code == 302
    assert "已过期" in client.get("/imports/").get_data(as_text=True)
    assert confirm(client, "../../secret_key").status_code == 302


def test_the_kind_comes_from_the_server_not_the_form(importer):
    """A confirmation cannot switch what was previewed to another kind."""
    html = upload(importer, "villages", xlsx([VILLAGES, ["东镇", "乙村", "否"]])).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    importer.post("/imports/confirm", data={"csrf_token": csrf_token(importer, "/imports/"), "token": token,
                                         "kind": "households"})
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert event.changes["kind"] == "villages"


def test_an_oversized_upload_gets_a_calm_413_page(importer, app):
    app.config["IMPORT_MAX_BYTES"] = 50_000
    page = upload(importer, "villages", b"x" * 60_000, "big.csv")
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "上传的文件太大" in html and "不能超过" in html and "<html" in html


def test_a_web_page_named_xlsx_is_refused_with_a_message(importer):
    page = upload(importer, "villages", b"<html><table><tr><td>1</td></tr></table></html>")
    assert page.status_code == 422
    assert "实际是网页（HTML）" in page.get_data(as_text=True)


def test_missing_kind_or_file_is_explained(importer):
    token = csrf_token(importer, "/imports/")
    page = importer.post("/imports/preview", data={"csrf_token": token, "kind": "villages"},
                      content_type="multipart/form-data")
    assert page.status_code == 422 and "请选择要上传的文件" in page.get_data(as_text=True)


@pytest.mark.parametrize("kind,headers", [("villages", VILLAGES), ("households", HOUSEHOLDS)])
def test_template_files_hold_the_header_row(importer, kind, headers):
    response = importer.get(f"/imports/templates/{kind}.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    first = book.worksheets[0]
    got = [c.value for c in next(first.iter_rows(max_row=1))]
    assert got[:len(headers)] == headers
    if "身份证号" in headers:
        col = got.index("身份证号") + 1
        # a run of alike columns is one <col min max> entry, kept under its first letter
        dims = [d for d in first.column_dimensions.values() if d.min <= col <= d.max]
        assert [d.number_format for d in dims] == ["@"]


def test_an_empty_template_refills_and_imports(importer):
    """The downloaded template, filled in, is accepted as it is."""
    book = openpyxl.load_workbook(io.BytesIO(importer.get("/imports/templates/villages.xlsx").data))
    book.worksheets[0].append(["东镇", "丙村", "是", 33.9, 118.3, 15])
    buf = io.BytesIO()
    book.save(buf)
    html = upload(importer, "villages", buf.getvalue()).get_data(as_text=True)
    assert "确认后将新增 1 条" in html
