"""Bad inputs a user can cause that the feature tests do not already cover (docs/security.md, "Bad inputs").

Each is sent the way a user's browser, a sync client or the command line sends it, and each
test checks three things: a Chinese message that says what to fix, the status, and that
nothing was stored or changed.
"""
import base64
import io
import re

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import (
    Attendance,
    AuditEvent,
    Demand,
    Household,
    IncomeTarget,
    Role,
    User,
    UserSession,
    Visit,
    VisitPhoto,
)

from .conftest import PASSWORD, csrf_token
from .sheets import HOUSEHOLDS, LINE, count, csv_bytes, errors, file_id, household_row
from .visit_support import bearer, body, days_of, form, jpeg, paired

CONTROL_MESSAGE = "提交的内容含有不可见的控制字符"


def visit_rows() -> tuple[int, int, int]:
    return count(Visit), count(VisitPhoto), count(Demand)


@pytest.fixture
def me(me, f):
    """The signed-in cadre of conftest, with one visit to the household already stored."""
    me.visit = f.visit(me.cadre, me.household, notes="上次走访的记录", aid_yuan=100)
    f.commit()
    return me


def unchanged(visit) -> bool:
    db.session.refresh(visit)
    return (visit.notes, visit.aid_yuan) == ("上次走访的记录", 100)


# --- the visit form --------------------------------------------------------------------------

def test_aid_typed_as_words_on_the_visit_form(client, me):
    r = form(client, f"/visits/new?household_id={me.household.id}", notes="今天的走访", aid_yuan="两百")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'data-error-for="aid_yuan">帮扶资金应为不小于 0 的整数（元）<' in html  # next to the field
    assert "今天的走访" in html and 'value="两百"' in html  # what was typed stays
    assert visit_rows() == (1, 0, 0) and unchanged(me.visit)


def test_a_truncated_photo_on_the_visit_form(client, me):
    whole = jpeg(1200, 900)
    r = form(client, f"/visits/new?household_id={me.household.id}", demand_text=["修屋顶"], demand_deadline=[""],
             photos=[(io.BytesIO(jpeg(300, 200)), "ok.jpg"), (io.BytesIO(whole[: len(whole) // 2]), "half.jpg")])
    assert r.status_code == 422
    assert "第 2 张照片：无法识别这张照片，请重新拍摄或换一张" in r.get_data(as_text=True)
    assert visit_rows() == (1, 0, 0) and unchanged(me.visit)  # neither photo, nor the demand, nor the visit


def test_a_photo_with_too_many_pixels_is_refused_before_it_is_decoded(client, me):
    """81 megapixels in a few kilobytes of PNG: decoding it would take hundreds of megabytes."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    r = form(client, f"/visits/new?household_id={me.household.id}", photos=(io.BytesIO(out.getvalue()), "big.png"))
    assert r.status_code == 422 and "照片像素太多，请用手机相机正常拍摄" in r.get_data(as_text=True)
    assert visit_rows() == (1, 0, 0) and unchanged(me.visit)


def test_a_progress_photo_with_too_many_pixels(client, auth, f):
    from PIL import Image

    from relief.models import ProjectPhoto, ProjectUpdate

    project = f.project(f.village(is_weak=True))
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")
    page = f"/projects/{project.id}"
    r = client.post(f"{page}/updates", data={"csrf_token": csrf_token(client, page), "text": "钢结构完成",
                                              "photos": (io.BytesIO(out.getvalue()), "big.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "照片“big.png”：照片像素太多，请用手机相机正常拍摄" in r.get_data(as_text=True)
    assert (count(ProjectUpdate), count(ProjectPhoto)) == (0, 0)


# --- other web forms -----------------------------------------------------------------------------

def test_attendance_posted_for_a_future_month(client, auth, stationed):
    now = today()
    db.session.add(Attendance(pairing_id=stationed["s"].id, year=now.year, month=now.month, days=12))
    db.session.commit()
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    auth.login("admin")
    token = csrf_token(client, "/pairings/attendance")
    r = client.post(f"/pairings/attendance?year={year}&month={month}",
                    data={"csrf_token": token, f"days-{stationed['s'].id}": "20", f"days-{stationed['t'].id}": "20"})
    assert r.status_code == 422
    assert "不能填写未来月份的驻村天数，未保存任何数据" in r.get_data(as_text=True)
    assert days_of(stationed["s"], year, month) is None and days_of(stationed["t"], year, month) is None
    assert days_of(stationed["s"], now.year, now.month) == 12


def test_a_district_target_typed_as_words(client, auth, f):
    f.user("admin", Role.ADMIN)
    f.target(2025, 120_000)
    f.commit()
    auth.login("admin")
    r = client.post("/villages/targets", data={"csrf_token": csrf_token(client, "/villages/targets"),
                                               "year": "2025", "target": "十五万元"})
    assert r.status_code == 422
    assert "“十五万元”不是数字：请填写以万元为单位的金额，例如 12.5" in r.get_data(as_text=True)
    assert db.session.execute(sa.select(IncomeTarget.year, IncomeTarget.target_yuan)).all() == [(2025, 120_000)]


JUNK = {
    "emoji and a right-to-left override": ("管理员😀\u202e", "密码🙂"),
    "zero-width characters": ("\u200badmin\u200d", "\ufeff" + PASSWORD),
    "half a surrogate pair, sent as UTF-8 bytes": ("adm\ufffd", PASSWORD),
}


@pytest.mark.parametrize("username, password", list(JUNK.values()), ids=list(JUNK))
def test_non_ascii_junk_in_the_login_form(client, f, username, password):
    f.user("admin", Role.ADMIN)
    f.commit()
    r = client.post("/login", data={"csrf_token": csrf_token(client), "username": username, "password": password})
    assert r.status_code == 422 and "用户名或密码不正确" in r.get_data(as_text=True)
    assert count(UserSession) == 0 and client.get("/").status_code == 302


def test_an_overlong_username_in_the_login_form(client, f):
    r = client.post("/login", data={"csrf_token": csrf_token(client), "username": "王" * 300, "password": "x"})
    assert r.status_code == 422 and "字段长度不能超过 64 个字符" in r.get_data(as_text=True)
    assert count(UserSession) == 0


@pytest.mark.parametrize("username, password", [("ad\x00min", PASSWORD), ("admin", "correct\x00horse"),
                                                ("admin\x1b[2J", PASSWORD)])
def test_control_characters_in_the_login_form(client, f, username, password):
    """A NUL made PostgreSQL refuse the lookup: this was a 500 there."""
    f.user("admin", Role.ADMIN)
    f.commit()
    r = client.post("/login", data={"csrf_token": csrf_token(client), "username": username, "password": password})
    assert r.status_code == 400 and CONTROL_MESSAGE in r.get_data(as_text=True)
    assert count(UserSession) == 0 and client.get("/").status_code == 302


def test_control_characters_in_a_search_box(client, auth, f):
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    for path in ("/households/?q=%00", "/villages/?q=a%07b", "/pairings/new?cadre_q=%00"):
        r = client.get(path)
        assert r.status_code == 400 and CONTROL_MESSAGE in r.get_data(as_text=True), path


# --- page numbers and ids out of range -----------------------------------------------------------

LISTS = ["/households/", "/demands/", "/projects/", "/audit/", "/pairings/", "/pairings/violations", "/callbacks/",
         "/villages/", "/records/", "/map", "/pairings/attendance", "/pairings/attendance/year", "/cadres/",
         "/visits/", "/visits/holidays", "/dashboard"]


@pytest.mark.parametrize("path", LISTS)
def test_a_page_number_that_cannot_exist(client, auth, f, path):
    """?page=10^20 overflowed the database's OFFSET (a 500); now every list answers 404 and says why."""
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    for page in ("1000000000000", "100000000000000000000", "0", "-1", "二"):
        r = client.get(f"{path}?page={page}")
        assert r.status_code == 404, (path, page)
        assert f"页码“{page[:20]}”无效：页码应为 1 到 100000 之间的整数" in r.get_data(as_text=True)
    past = client.get(f"{path}?page=3")
    assert past.status_code == 404 and "没有第 3 页" in past.get_data(as_text=True)
    assert client.get(f"{path}?page=1").status_code == 200


def test_a_page_past_the_end_names_the_last_page(client, auth, f, app):
    app.config["PER_PAGE"] = 2
    f.user("admin", Role.ADMIN)
    for _ in range(5):
        f.household()
    f.commit()
    auth.login("admin")
    assert client.get("/households/?page=3").status_code == 200
    r = client.get("/households/?page=4")
    assert r.status_code == 404 and "没有第 4 页：共 3 页" in r.get_data(as_text=True)


BIG = ["2147483648", "1000000000000", "100000000000000000000"]


@pytest.mark.parametrize("number", BIG)
def test_an_id_beyond_the_database_in_a_url(client, auth, f, number):
    """/users/10^20 was a 500 (the number overflowed the query); every id in a URL is now bounded."""
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    events = count(AuditEvent)
    for path in ("/households/{}", "/visits/{}", "/demands/{}", "/projects/{}", "/pairings/{}", "/villages/{}",
                 "/cadres/{}", "/users/{}", "/callbacks/{}", "/visits/photos/{}", "/pairings/{}/card"):
        r = client.get(path.format(number))
        assert r.status_code == 404 and "找不到该页面或记录" in r.get_data(as_text=True), path
    token = csrf_token(client, "/demands/")
    for path in ("/demands/{}/resolve", "/households/{}/reveal", "/users/{}/password", "/pairings/{}/end"):
        assert client.post(path.format(number), data={"csrf_token": token, "resolution": "x"}).status_code == 404
    assert count(AuditEvent) == events


# --- the JSON API --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, content_type", [
    ("[1, 2]", "application/json"), ('"a visit"', "application/json"), ("42", "application/json"),
    ("null", "application/json"), ('{"notes": "屋顶', "application/json"), (b'{"notes": "\xff"}', "application/json"),
    ("notes=abc", "application/x-www-form-urlencoded"),
])
def test_a_visit_body_that_is_not_a_json_object(client, f, raw, content_type):
    me = paired(f)
    r = client.post("/api/v1/visits", data=raw, headers={**bearer(me.user), "Content-Type": content_type})
    assert r.status_code == 422 and r.get_json()["fields"] == {"__all__": "请求体应为 JSON 对象"}
    assert visit_rows() == (0, 0, 0)


def test_a_token_request_that_is_not_a_json_object(client, f):
    r = client.post("/api/v1/token", json=[{"username": "cad", "password": PASSWORD}])
    assert r.status_code == 422 and "请求体应为 JSON 对象" in r.get_json()["fields"]["__all__"]


@pytest.mark.parametrize("aid", [True, "两百", 10**30, "1e3"])
def test_aid_that_is_not_whole_yuan_in_the_api(client, f, aid):
    """true was read as 1 yuan before."""
    me = paired(f)
    r = client.post("/api/v1/visits", json=body(me.household.id, aid_yuan=aid), headers=bearer(me.user))
    assert r.status_code == 422 and r.get_json()["fields"] == {"aid_yuan": "帮扶资金应为不小于 0 的整数（元）"}
    assert visit_rows() == (0, 0, 0)


@pytest.mark.parametrize("change, field", [
    ({"household_id": 10**20}, "household_id"), ({"household_id": True}, "household_id"),
    ({"resolved": [{"id": 10**12}]}, "resolved.0.id"), ({"lat": True, "lng": 118.3}, "lat"),
])
def test_ids_and_numbers_out_of_range_in_the_api(client, f, change, field):
    me = paired(f)
    r = client.post("/api/v1/visits", json={**body(me.household.id), **change}, headers=bearer(me.user))
    assert r.status_code == 422 and field in r.get_json()["fields"], r.get_json()
    assert re.search(r"[\u4e00-\u9fff]", r.get_json()["fields"][field])
    assert visit_rows() == (0, 0, 0)


@pytest.mark.parametrize("change, field", [
    ({"notes": "屋顶漏雨\x00"}, "notes"), ({"demands": [{"text": "修路\x00"}]}, "demands.0.text"),
    ({"notes": "\ud800 half a pair"}, "notes"), ({"kind": "routine\x07"}, "kind"),
])
def test_control_characters_in_a_synced_visit_and_the_clean_resend(client, f, change, field):
    """A NUL in the notes made PostgreSQL refuse the INSERT: a 500 there, and the phone kept retrying."""
    me = paired(f)
    headers = bearer(me.user)
    sent = body(me.household.id, demands=[{"text": "修路"}])
    r = client.post("/api/v1/visits", json={**sent, **change}, headers=headers)
    assert r.status_code == 422 and CONTROL_MESSAGE in r.get_json()["fields"][field]
    assert visit_rows() == (0, 0, 0)
    assert client.post("/api/v1/visits", json=sent, headers=headers).status_code == 201
    assert visit_rows() == (1, 0, 1)


@pytest.mark.parametrize("query", ["year=99999", "year=1800", "year=100000000000000000000", "year=二〇二五"])
def test_a_year_out_of_range_in_a_query_string(client, f, query):
    admin = f.user("admin", Role.ADMIN)
    f.commit()
    for path in ("/api/v1/villages/progress", "/api/v1/visits/flags"):
        r = client.get(f"{path}?{query}", headers=bearer(admin))
        assert r.status_code == 422 and r.get_json()["fields"]["year"] == "年度应为 2000 到 2100 之间的整数，如 2024"


def test_a_year_out_of_range_on_the_map_page(client, auth, f):
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    r = client.get("/map?year=99999")
    assert r.status_code == 200  # a read-only page: it shows this year and says why
    assert f"年度“99999”无效（应为 2000 到 {today().year}），显示的是 {today().year} 年" in r.get_data(as_text=True)


# --- the import (command line) ---------------------------------------------------------------

@pytest.fixture
def stored(places, f):
    """A household imported earlier, which a bad file must leave as it is."""
    village = next(v for v in places.villages if v.name == "甲村")
    h = f.household(village, "老户主", id_number=file_id(900), phone="13800000900")
    f.commit()
    return h


def _with(n: int, **over) -> list:
    return household_row(n, **over)


@pytest.mark.parametrize("over, column, message", [
    ({"身份证号": "13812345678"}, "身份证号", "身份证号应为18位，前17位为数字，最后一位为数字或X"),
    ({"联系电话": "138abcd5678"}, "联系电话", "联系电话应为11位手机号或带区号的固话"),
    ({"户主姓名": "张\x07三"}, "户主姓名", "含有不可见的控制字符，请删除后重新导入"),
    ({"乡镇": "东\x01镇"}, "乡镇", "含有不可见的控制字符，请删除后重新导入"),
])
def test_bad_cells_in_a_households_csv(run, stored, over, column, message):
    result = run("households", csv_bytes([HOUSEHOLDS, _with(1), _with(2, **over), _with(3)]), "帮扶户.csv")
    assert result.exit_code == 1
    [line] = errors(result)
    assert LINE.match(line) and line.startswith(f"row 3: {column}: ")
    assert line == f"row 3: {column}: {message}"
    assert "nothing was stored" in result.stdout
    assert db.session.scalars(sa.select(Household.head_name)).all() == ["老户主"]
    db.session.refresh(stored)
    assert (stored.phone, stored.members) == ("13800000900", 3)


def test_a_nul_byte_in_a_csv_file(run, stored):
    data = csv_bytes([HOUSEHOLDS, _with(1), _with(2, 家庭人口="3\x00")])
    result = run("households", data, "帮扶户.csv")
    assert result.exit_code == 2 and "error: 无法识别这个文件的格式" in result.stderr
    assert db.session.scalars(sa.select(Household.head_name)).all() == ["老户主"]


def test_a_cadre_phone_with_letters_in_a_cadres_file(run):
    result = run("cadres", csv_bytes([["姓名", "单位", "职务", "职级", "联系电话"],
                                      ["张三", "区财政局", "科员", "科级", "139OOOO0001"]]), "干部.csv")
    assert result.exit_code == 1
    assert errors(result) == ["row 2: 联系电话: 手机号应为以1开头的11位数字"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_photos_in_the_api_that_are_not_pictures(client, f):
    me = paired(f)
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').decode()
    r = client.post("/api/v1/visits", json=body(me.household.id, photos=[svg]), headers=bearer(me.user))
    assert r.status_code == 422 and r.get_json()["fields"]["photos.0"].startswith("第 1 张照片：")
    assert visit_rows() == (0, 0, 0)
