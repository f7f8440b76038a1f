"""防返贫监测 on the existing screens: the dashboard's figures (each a link to exactly its rows), the
cadre's home, the household page, the yearly workbook's 监测对象 sheet, the inspector's page and the
map — each scoped like the rest of the page."""
import re
from datetime import timedelta

import openpyxl
import pytest

from relief.dates import today
from relief.extensions import db
from relief.monitoring import cases

from .monitoring_support import (
    home_checked_today,
    leads_of,
    monitored_case,
    scanned_world,
    world,
)
from .test_figure_links import links

Y = today().year


@pytest.fixture
def w(f):
    return scanned_world(f)


def _figures(html: str) -> dict[str, int]:
    """{href: the number shown} of the figure links of a page."""
    return {a["href"]: int(a["text"]) for a in links(html)
            if "figure" in a.get("class", "").split() and a["text"].isdecimal()}


def _listed(client, href: str) -> int:
    body = client.get(href).get_data(as_text=True)
    return int(re.search(r'data-total="(\d+)"', body).group(1))


def _monitoring_figures(html: str) -> dict[str, int]:
    return {href: n for href, n in _figures(html).items()
            if href.startswith("/monitoring/") or "monitored=" in href}


def test_the_dashboard_shows_the_monitoring_figures_each_linked_to_its_rows(client, auth, w):
    case = cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    case.step_due_on = today() - timedelta(days=1)
    leads_of(w.h2)[0].due_on = today() - timedelta(days=2)
    monitored_case(None, w, household=w.h1b)
    db.session.commit()
    auth.login("admin")
    html = client.get(f"/dashboard?year={Y}").get_data(as_text=True)
    assert "防返贫动态监测" in html
    shown = _monitoring_figures(html)
    assert shown[f"/monitoring/?show=leads&year={Y}"] == 4
    assert shown[f"/monitoring/?show=leads&source=income_below_line&year={Y}"] == 3
    assert shown["/monitoring/?show=leads&step=reported&overdue=1"] == 1
    assert shown["/monitoring/?show=cases&overdue=1"] == 1
    assert shown["/monitoring/?show=cases&step=verifying&overdue=1"] == 1
    assert shown["/households/?monitored=all"] == 1 and shown["/households/?monitored=sudden"] == 1
    assert shown[f"/monitoring/?show=closed&step=cleared&cleared={Y}"] == 0
    for href, n in shown.items():
        assert _listed(client, href) == n, href


def test_a_leaders_dashboard_counts_only_the_township(client, auth, w):
    auth.login("leader2")
    shown = _monitoring_figures(client.get(f"/dashboard?year={Y}").get_data(as_text=True))
    t = w.t2.id
    assert shown[f"/monitoring/?show=leads&year={Y}&township={t}"] == 2  # 李三: low income, unsafe water
    assert shown[f"/monitoring/?show=leads&source=guarantee_failed&year={Y}&township={t}"] == 1
    for href, n in shown.items():
        assert _listed(client, href) == n, href


def test_the_admin_narrowed_to_a_township_gets_its_figures_and_lists(client, auth, w):
    auth.login("admin")
    shown = _monitoring_figures(client.get(f"/dashboard?year={Y}&township={w.t2.id}").get_data(as_text=True))
    href = f"/monitoring/?show=leads&year={Y}&township={w.t2.id}"
    assert shown[href] == 2 and _listed(client, href) == 2


def _work_box(html: str) -> str:
    found = re.search(r'<section class="card mb-3 monitor-work.*?</section>', html, re.DOTALL)
    return found.group(0) if found else ""


def test_the_cadres_home_lists_their_monitoring_work_and_what_is_overdue(client, auth, w):
    auth.login("cadre1")
    box = _work_box(client.get("/").get_data(as_text=True))
    assert "防返贫监测：待办" in box and "张一" in box and "已逾期" not in box
    lead = leads_of(w.h1)[0]
    lead.due_on = today() - timedelta(days=1)  # the home is cached: a write must renew it
    db.session.commit()
    box = _work_box(client.get("/").get_data(as_text=True))
    assert "已逾期" in box and "其中逾期 1 项" in box and "border-danger" in box
    assert f'href="/monitoring/leads/{lead.id}"' in box
    assert "李三" not in box  # another cadre's household


def test_a_cadre_with_no_monitoring_work_sees_no_empty_box(client, auth, f):
    w = world(f)
    auth.login("cadre2")
    assert "防返贫监测：待办" not in client.get("/").get_data(as_text=True)
    assert w.c2


def test_the_household_page_shows_its_monitoring_history(client, auth, w):
    case = cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    db.session.commit()
    auth.login("cadre1")
    html = client.get(f"/households/{w.h1.id}").get_data(as_text=True)
    assert 'id="monitor-history-title"' in html and f'href="/monitoring/cases/{case.id}"' in html
    assert "入户核实" in html
    auth.logout()
    auth.login("leader2")
    assert client.get(f"/households/{w.h1.id}").status_code == 404
    html = client.get(f"/households/{w.h2.id}").get_data(as_text=True)
    assert "待受理的风险线索" in html and f"/monitoring/cases/{case.id}" not in html


def test_a_household_without_monitoring_says_so(client, auth, f):
    w = world(f)
    auth.login("cadre2")
    assert "没有防返贫监测记录" in client.get(f"/households/{w.h2.id}").get_data(as_text=True)


def test_the_workbook_has_a_masked_monitored_sheet(w, runner, tmp_path):
    w.h1.head_name = "=1+1 张一"
    monitored_case(None, w)
    db.session.commit()
    path = tmp_path / "y.xlsx"
    result = runner.invoke(args=["relief", "export", "--year", str(Y), "-o", str(path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[-1] == "监测对象"
    rows = [tuple(c.value for c in r) for r in book["监测对象"].iter_rows()]
    header, (row,) = rows[0], rows[1:]
    values = dict(zip(header, row))
    assert values["户主姓名"] == "=1+1 张一"  # text, not a formula
    assert book["监测对象"].cell(row=2, column=header.index("户主姓名") + 1).data_type == "s"
    assert values["身份证号"] == w.h1.id_number[:6] + "********" + w.h1.id_number[-4:]
    assert values["监测类别"] == "突发严重困难户" and values["监测范围(元)"] == 6900
    result = runner.invoke(args=["relief", "export", "--year", str(Y), "-o", str(tmp_path / "t.xlsx"),
                                 "--township", "西镇"])
    assert result.exit_code == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx")["监测对象"].max_row == 1


def test_the_monitored_sheet_as_csv_from_the_export_page(client, auth, w):
    monitored_case(None, w)
    db.session.commit()
    auth.login("leader1")
    response = client.get(f"/exports/download?year={Y}&format=csv&sheet=monitored")
    assert response.status_code == 200, response.status_code
    text = response.get_data().decode("utf-8-sig")
    assert "监测类别" in text and "张一" in text and w.h1.id_number not in text


def test_the_inspector_sees_steps_done_suspiciously_fast(client, auth, w):
    case = cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    home_checked_today(case, w.cadre1)
    auth.login("inspector")
    html = client.get(f"/flags/?year={Y}").get_data(as_text=True)
    assert "办理过快或逾期的环节" in html and "开始后几分钟内就办完" in html
    assert f'href="/monitoring/cases/{case.id}"' in html
    html = client.get(f"/flags/?year={Y}&township={w.t2.id}").get_data(as_text=True)
    assert "开始后几分钟内就办完" not in html


def _map_villages(html: str) -> tuple[dict, dict[str, dict]]:
    import json

    match = re.search(r'<script type="application/json" id="village_layer_[^"]+-data">(.*?)</script>', html, re.DOTALL)
    data = json.loads(match.group(1))
    return data, {row[3]: dict(zip(data["fields"], row)) for row in data["villages"]}


@pytest.fixture
def placed(w):
    from relief.maps import services

    w.v1.lat, w.v1.lng = 33.9, 118.3
    w.v2.is_weak, w.v2.lat, w.v2.lng = True, 34.0, 118.4
    db.session.commit()
    services.cache.clear()
    yield w
    services.cache.clear()


def test_the_map_coloured_by_monitoring_shows_each_villages_open_cases_and_leads(client, auth, placed):
    w = placed
    cases.take_up(leads_of(w.h1)[0], w.cadre1, today())
    db.session.commit()
    auth.login("admin")
    data, v = _map_villages(client.get(f"/map/frame?year={Y}&colour=monitoring").get_data(as_text=True))
    assert data["colouring"] == "monitoring"
    assert v["东村"]["monitor"] == [1, 1, 1]  # 张一's case at 入户核实; 张二's lead not taken up
    assert v["西村"]["monitor"] == [0, 0, 2]
    assert data["monitorCounts"] == {"cases": 1, "leads": 1, "none": 0}
    page = client.get(f"/map?year={Y}&colour=monitoring").get_data(as_text=True)
    assert "有未结案的案件：1 个村" in page and 'frame?year=' in page and "colour=monitoring" in page
    shown = _figures(page)
    for href, n in shown.items():
        if href.startswith("/monitoring/"):
            assert _listed(client, href) == n, href
    assert shown[f"/monitoring/?show=cases&village={w.v1.id}"] == 1
    assert shown[f"/monitoring/?show=leads&village={w.v2.id}"] == 2
    # a new lead renews the cached map
    cases.take_up(leads_of(w.h2)[0], w.cadre2, today())
    db.session.commit()
    _data, v = _map_villages(client.get(f"/map/frame?year={Y}&colour=monitoring").get_data(as_text=True))
    assert v["西村"]["monitor"][0] == 1


def test_a_leaders_monitoring_map_shows_the_own_township_only(client, auth, placed):
    auth.login("leader2")
    _data, v = _map_villages(client.get(f"/map/frame?year={Y}&colour=monitoring").get_data(as_text=True))
    assert set(v) == {"西村"} and v["西村"]["monitor"] == [0, 0, 2]
    page = client.get(f"/map?year={Y}&colour=monitoring").get_data(as_text=True)
    assert f"village={placed.v1.id}" not in page


def test_the_progress_map_is_unchanged_by_default(client, auth, placed):
    auth.login("admin")
    data, _v = _map_villages(client.get(f"/map/frame?year={Y}").get_data(as_text=True))
    assert data["colouring"] == "progress"


# -- the visit form's 发现返贫风险 (the browser's offline path is tests/browser/test_monitoring.py) --

def _visit_form(client, path, **fields):
    from .conftest import csrf_token

    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, path), "visited_on": today().isoformat(), "kind": "routine",
            "notes": "了解收成情况", "aid_yuan": "",
            "client_uuid": re.search(r'name="client_uuid"[^>]*value="([^"]+)"', page).group(1)}
    data.update(fields)
    return client.post(path, data=data, content_type="multipart/form-data")


def test_the_visit_form_offers_the_risk_control_for_a_household_only(client, auth, w):
    from relief.models import PairingKind

    auth.login("cadre1")
    html = client.get(f"/visits/new?household_id={w.h1.id}").get_data(as_text=True)
    assert 'id="risk_found"' in html and "发现返贫风险" in html and 'value="illness"' in html
    auth.logout()
    auth.login("stationed")
    assert w.stationed and PairingKind.STATIONED
    html = client.get(f"/visits/new?village_id={w.v1.id}").get_data(as_text=True)
    assert 'id="visit-form"' in html and 'id="risk_found"' not in html


def test_a_visit_with_the_risk_ticked_raises_a_lead_in_the_cadres_queue(client, auth, w):
    from relief.models import LeadSource

    auth.login("cadre1")
    response = _visit_form(client, f"/visits/new?household_id={w.h1.id}", risk_found="1", risk_type="illness",
                           risk_note="户主住院，自付较多")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    (lead,) = leads_of(w.h1, LeadSource.VISIT)
    assert lead.cause == "illness" and lead.evidence["note"] == "户主住院，自付较多"
    assert lead.assignee_cadre_id == w.c1.id
    assert "张一" in client.get("/monitoring/?show=leads&source=visit").get_data(as_text=True)


def test_a_risk_type_left_unchosen_is_asked_for_and_an_unticked_one_is_ignored(client, auth, w):
    from relief.models import LeadSource

    auth.login("cadre1")
    path = f"/visits/new?household_id={w.h1.id}"
    response = _visit_form(client, path, risk_found="1", risk_type="", risk_note="看着不太好")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请选择风险类型" in html and "看着不太好" in html
    assert re.search(r'id="risk_found"[^>]*checked', html)  # the tick stays, with what was typed
    assert leads_of(w.h1, LeadSource.VISIT) == []
    assert _visit_form(client, path, risk_type="illness", risk_note="没勾选").status_code == 302
    assert leads_of(w.h1, LeadSource.VISIT) == []
