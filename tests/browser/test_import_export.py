"""The import and export pages on a phone: they fit, pass the accessibility check, and work."""
import csv
import io
import threading
import time

CADRES = ["姓名", "单位", "职务", "职级", "联系电话"]


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _upload(phone, tmp_path, rows, name="干部.csv"):
    path = tmp_path / name
    path.write_bytes(_csv(rows))
    page = phone.page
    page.select_option("#kind", "cadres")
    page.set_input_files("#file", str(path))
    page.click("text=上传并预览")
    page.wait_for_load_state("networkidle")


def test_import_page_flow_on_a_phone(phone, tmp_path):
    phone.login("demo-admin")
    phone.goto("/imports/")
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []
    page = phone.page
    page.click("summary >> text=干部")  # open one kind's column notes
    assert phone.axe_violations() == []

    _upload(phone, tmp_path, [CADRES, ["浏览器甲", "区财政局", "科员", "一般干部", "1390000"],
                              ["浏览器乙", "区财政局", "科员", "厅级", "13977770002"]])
    assert page.locator("#import-errors tbody tr").count() == 2
    assert "没有导入任何数据" in page.locator("#import-errors-summary").inner_text()
    assert page.locator("#confirm-import").count() == 0
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []

    phone.goto("/imports/")
    _upload(phone, tmp_path, [CADRES, ["浏览器甲", "区财政局", "科员", "一般干部", "13977770001"]])
    assert "确认后将新增 1 条" in page.locator("#import-plan").inner_text()
    assert phone.axe_violations() == []
    page.click("#confirm-import")
    page.wait_for_load_state("networkidle")
    assert "导入完成" in page.content()
    assert phone.console_errors == [] and phone.outside == []


def test_an_office_xls_previews_on_a_phone(phone, tmp_path):
    """WPS's .xls with a title, merged 乡镇 and a signature footer: the picker takes it, the preview says where the table was."""
    from tests.rosters import to_xls, village_roster

    path = tmp_path / "村庄.xls"
    path.write_bytes(to_xls(village_roster()))
    phone.login("demo-admin")
    phone.goto("/imports/")
    page = phone.page
    assert ".xls" in page.get_attribute("#file", "accept").split(",")
    page.select_option("#kind", "villages")
    page.set_input_files("#file", str(path))
    page.click("text=上传并预览")
    page.wait_for_load_state("networkidle")
    assert page.locator("#import-where").inner_text() == "读取工作表“村庄名单”，表头在第2行"
    assert "第7行起是表尾（制表人:王五）" in page.locator("#import-notes").inner_text()
    assert "确认后将新增 4 条" in page.locator("#import-plan").inner_text()
    assert phone.horizontal_overflow() <= 0
    assert phone.axe_violations() == []


def test_export_and_report_pages_on_a_phone(phone):
    phone.login("demo-leader")
    for path in ("/exports/", "/exports/report"):
        phone.goto(path)
        assert phone.horizontal_overflow() <= 0, path
        assert phone.axe_violations() == [], path
    with phone.page.expect_download() as info:
        phone.goto("/exports/")
        phone.page.click("text=下载 Excel 工作簿")
    assert info.value.suggested_filename.endswith(".xlsx")
    assert phone.console_errors == [] and phone.outside == []


def test_the_admins_yearly_report_on_a_phone(phone):
    phone.login("demo-admin")
    phone.goto("/exports/report")
    assert "全年共实施帮扶项目" in phone.page.locator("#headline").inner_text()
    assert phone.axe_violations() == []
    assert phone.console_errors == [] and phone.outside == []


def test_the_export_button_says_it_is_working_and_cannot_be_pressed_twice(phone, live_app, monkeypatch):
    # the file does not start until the second tap has been made, as on a slow link: with a fixed
    # delay a busy machine let the second tap come after the download began, when the form
    # rightly takes a new one (seen in CI: the tap came 3 s after the first)
    view = live_app.view_functions["exports.download"]
    tapped = threading.Event()

    def slow_download(*args, **kwargs):
        tapped.wait(30)
        return view(*args, **kwargs)

    monkeypatch.setitem(live_app.view_functions, "exports.download", slow_download)
    phone.login("demo-admin")
    phone.goto("/exports/")
    page = phone.page
    asked = []
    page.context.on("request", lambda r: "/exports/download?" in r.url and asked.append(r.url))
    # what the form looked like while the file was being made
    page.evaluate("""() => { window.__busy = [];
        const form = document.getElementById('export-form'), status = document.getElementById('export-status');
        new MutationObserver(() => window.__busy.push([form.querySelector('button[value=xlsx]').disabled,
            form.querySelector('button[value=csv]').disabled, !status.hidden, status.innerText]))
          .observe(form, {subtree: true, attributes: true, childList: true, characterData: true}); }""")
    button = page.locator("#export-form button[value=xlsx]").bounding_box()
    with page.expect_download() as info:
        page.click("text=下载 Excel 工作簿", no_wait_after=True)
        # an impatient tap, as a finger makes it: Playwright's own click would wait until the
        # submitted form's navigation has ended, which is after the file has started
        page.mouse.click(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
        time.sleep(0.3)
        tapped.set()
    assert info.value.suggested_filename.endswith(".xlsx")
    page.wait_for_function("() => !document.querySelector('#export-form button[value=xlsx]').disabled")
    busy = page.evaluate("window.__busy")
    assert any(xlsx and csv and shown and "正在生成文件" in text for xlsx, csv, shown, text in busy), busy
    tokens = {url.split("token=")[1].split("&")[0] for url in asked}  # (the service worker asks again)
    assert len(tokens) == 1, asked  # the second tap sent nothing
    assert "已开始下载" in page.locator("#export-status").inner_text()
    assert phone.axe_violations() == []
    assert phone.console_errors == [] and phone.outside == []
