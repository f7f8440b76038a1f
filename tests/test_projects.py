"""The projects ledger: who may write, stage transitions, progress entries with photos."""
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from PIL import Image

from relief.dates import today
from relief.extensions import db
from relief.models import PairingKind, Project, ProjectPhoto, ProjectStatus, ProjectUpdate, Role

from .forms import submit

FORM = dict(name="标准厂房", type="standard_factory", responsible_cadre="", funding_source="区级财政扶贫资金",
            funding="120", started_on="", finished_on="", expected_income="8.5", actual_income="",
            households_benefited="12", people_benefited="40", description="共建标准厂房，出租给村企。")


@pytest.fixture
def place(f):
    home, other = f.township("东镇"), f.township("西镇")
    village = f.village(home, "甲村", is_weak=True)
    far = f.village(other, "乙村", is_weak=True)
    stationed = f.cadre("驻村干部")
    f.pairing(stationed, village=village, kind=PairingKind.STATIONED)
    f.commit()
    return dict(home=home, other=other, village=village, far=far, stationed=stationed)


def _login(client, auth, f, role, township=None, cadre=None):
    user = f.user(role=role, township=township, cadre=cadre)
    f.commit()
    auth.login(user.username)
    return user


def _projects():
    return db.session.scalars(sa.select(Project).order_by(Project.id)).all()


def test_admin_creates_a_project_that_starts_planned_with_its_first_entry(client, auth, f, place):
    _login(client, auth, f, Role.ADMIN)
    v = place["village"]
    html = submit(client, f"/projects/new?village_id={v.id}",
                  **{**FORM, "responsible_cadre": str(place["stationed"].id)}).get_data(as_text=True)
    assert "已新建项目“标准厂房”" in html
    [p] = _projects()
    assert (p.status, p.village_id, p.township_id) == (ProjectStatus.PLANNED, v.id, v.township_id)
    assert (p.funding_yuan, p.expected_income_yuan, p.actual_income_yuan) == (1_200_000, 85_000, 0)
    assert p.responsible_cadre_id == place["stationed"].id
    [entry] = p.updates
    assert entry.status_to is ProjectStatus.PLANNED and entry.status_from is None
    assert "标准厂房" in client.get(f"/villages/{v.id}").get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "请填写项目名称"),
    ({"funding": "-5"}, "金额不能为负数"),
    ({"expected_income": "八万"}, "不是数字"),
    ({"people_benefited": "5"}, "受益人数（5）不能少于受益户数（12）"),
    ({"started_on": "2025-05-01", "finished_on": "2025-04-01"}, "完工日期不能早于开工日期"),
    ({"started_on": "2025/05/01"}, "日期格式应为"),
    ({"households_benefited": "-1"}, "应在 0 到"),
])
def test_bad_project_input_is_refused_with_a_message(client, auth, f, place, changes, message):
    _login(client, auth, f, Role.ADMIN)
    r = submit(client, f"/projects/new?village_id={place['village'].id}", **{**FORM, **changes})
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert _projects() == []


def test_a_responsible_cadre_from_elsewhere_is_refused(client, auth, f, place):
    _login(client, auth, f, Role.ADMIN)
    stranger = f.cadre("外村干部")
    f.commit()
    r = submit(client, f"/projects/new?village_id={place['village'].id}",
               **{**FORM, "responsible_cadre": str(stranger.id)})
    assert r.status_code == 422 and _projects() == []


def test_a_leader_writes_projects_only_in_the_own_township(client, auth, f, place):
    _login(client, auth, f, Role.LEADER, township=place["home"])
    assert submit(client, f"/projects/new?village_id={place['village'].id}", **FORM).status_code == 200
    assert len(_projects()) == 1
    assert client.get(f"/projects/new?village_id={place['far'].id}").status_code == 404
    elsewhere = f.project(place["far"], "西镇项目")
    f.commit()
    assert client.get(f"/projects/{elsewhere.id}").status_code == 404
    assert client.get(f"/projects/{elsewhere.id}/edit").status_code == 404
    assert "西镇项目" not in client.get("/projects/").get_data(as_text=True)


def test_a_cadre_reads_the_projects_of_own_villages_only(client, auth, f, place):
    mine, theirs = f.project(place["village"], "本村项目"), f.project(place["far"], "外村项目")
    _login(client, auth, f, Role.CADRE, cadre=place["stationed"])
    page = client.get(f"/projects/{mine.id}").get_data(as_text=True)
    assert "本村项目" in page and "推进到" not in page and "编辑项目信息" not in page
    assert client.get(f"/projects/{theirs.id}").status_code == 404
    assert client.get(f"/projects/{mine.id}/edit").status_code == 403
    assert client.get(f"/projects/new?village_id={place['village'].id}").status_code == 403


def test_an_inspector_reads_everything_and_changes_nothing(client, auth, f, place):
    p = f.project(place["far"], "外村项目")
    _login(client, auth, f, Role.INSPECTOR)
    assert "外村项目" in client.get(f"/projects/{p.id}").get_data(as_text=True)
    r = submit(client, f"/projects/{p.id}/advance", page=f"/projects/{p.id}", to="building")
    assert r.status_code == 403
    assert db.session.get(Project, p.id).status is ProjectStatus.PLANNED


def test_stages_move_forward_one_step_at_a_time_and_each_step_is_recorded(client, auth, f, place):
    p = f.project(place["village"], "光伏电站")
    _login(client, auth, f, Role.ADMIN)
    path, page = f"/projects/{p.id}/advance", f"/projects/{p.id}"

    r = submit(client, path, page=page, to="completed")
    assert r.status_code == 422 and "只能推进到“在建”" in r.get_data(as_text=True)
    assert db.session.get(Project, p.id).status is ProjectStatus.PLANNED

    html = submit(client, path, page=page, to="building", note="主体开工").get_data(as_text=True)
    assert "项目已进入“在建”阶段" in html
    project = db.session.get(Project, p.id)
    assert project.status is ProjectStatus.BUILDING and project.started_on == today()

    # the same form sent twice does not move the project twice
    html = submit(client, path, page=page, to="building").get_data(as_text=True)
    assert "只能推进到“完工”" in html and db.session.get(Project, p.id).status is ProjectStatus.BUILDING

    submit(client, path, page=page, to="completed")
    submit(client, path, page=page, to="operating")
    html = submit(client, path, page=page, to="operating").get_data(as_text=True)
    assert "最后一个阶段" in html
    project = db.session.get(Project, p.id)
    assert project.status is ProjectStatus.OPERATING and project.finished_on == today()
    steps = db.session.execute(sa.select(ProjectUpdate.status_from, ProjectUpdate.status_to, ProjectUpdate.text)
                               .where(ProjectUpdate.project_id == p.id).order_by(ProjectUpdate.id)).all()
    assert [(a, b) for a, b, _ in steps] == [(ProjectStatus.PLANNED, ProjectStatus.BUILDING),
                                            (ProjectStatus.BUILDING, ProjectStatus.COMPLETED),
                                            (ProjectStatus.COMPLETED, ProjectStatus.OPERATING)]
    assert steps[0].text == "主体开工"


def test_editing_a_project_keeps_its_stage(client, auth, f, place):
    p = f.project(place["village"], "旧名", status=ProjectStatus.BUILDING, started_on=date(2025, 3, 1))
    _login(client, auth, f, Role.ADMIN)
    form = client.get(f"/projects/{p.id}/edit").get_data(as_text=True)
    assert 'value="旧名"' in form and 'value="2025-03-01"' in form
    submit(client, f"/projects/{p.id}/edit", **{**FORM, "name": "新名", "started_on": "2025-03-01",
                                                "actual_income": "2.25"})
    project = db.session.get(Project, p.id)
    assert (project.name, project.status, project.actual_income_yuan) == ("新名", ProjectStatus.BUILDING, 22_500)


def _jpeg_with_exif(size=(3000, 2000)) -> bytes:
    img = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (33.0, 57.0, 0.0)}  # GPSInfo
    out = BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_progress_photos_are_downscaled_and_lose_their_exif(client, auth, f, place):
    p = f.project(place["village"])
    _login(client, auth, f, Role.ADMIN)
    raw = _jpeg_with_exif()
    assert Image.open(BytesIO(raw)).getexif()  # the upload does carry EXIF
    html = submit(client, f"/projects/{p.id}/updates", page=f"/projects/{p.id}", text="钢结构完成",
                  files={"photos": [(BytesIO(raw), "site.jpg"), (BytesIO(raw), "site2.jpg")]}).get_data(as_text=True)
    assert "已记录项目进展" in html
    photos = db.session.scalars(sa.select(ProjectPhoto)).all()
    assert len(photos) == 2
    stored = Image.open(BytesIO(photos[0].data))
    assert stored.format == "JPEG" and max(stored.size) == 1600 and not stored.getexif()
    assert (photos[0].width, photos[0].height) == stored.size
    served = client.get(f"/projects/photos/{photos[0].id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert html.count("/projects/photos/") == 2


def test_a_file_that_is_not_a_photo_stores_nothing_and_says_why(client, auth, f, place):
    p = f.project(place["village"])
    _login(client, auth, f, Role.ADMIN)
    html = submit(client, f"/projects/{p.id}/updates", page=f"/projects/{p.id}", text="钢结构完成",
                  files={"photos": [(BytesIO(_jpeg_with_exif((40, 30))), "ok.jpg"),
                                    (BytesIO(b"%PDF-1.4 not a photo"), "report.pdf")]}).get_data(as_text=True)
    assert "照片“report.pdf”：无法识别这张照片" in html and "钢结构完成" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectPhoto)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectUpdate)) == 0


def test_photos_of_another_township_are_not_served(client, auth, f, place):
    p = f.project(place["far"])
    entry = ProjectUpdate(project=p, on=today(), text="x", photos=[ProjectPhoto(data=b"x", width=1, height=1)])
    db.session.add(entry)
    _login(client, auth, f, Role.LEADER, township=place["home"])
    assert client.get(f"/projects/photos/{entry.photos[0].id}").status_code == 404
