"""relief's one xlsx writer (relief.spreadsheets), read back as Excel would: text stays text, each
column keeps its width and number format, the header row its look, an empty sheet its header."""
import io
from datetime import date, datetime
from enum import Enum

import openpyxl

from relief.spreadsheets import MAX_CELL_TEXT, Col, Sheet, write_xlsx, xlsx_bytes


class Colour(str, Enum):
    RED = "red"

    @property
    def zh(self):
        return {"red": "红"}[self.value]


def _book(sheets) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(xlsx_bytes(sheets)))


def test_cells_keep_their_types_and_formats():
    rows = [("=1+1", 1200, 0.5, date(2025, 3, 1), datetime(2025, 3, 1, 8, 30), Colour.RED, True, "x" * 40_000)]
    book = _book([Sheet("a", "表", [Col("文字", 20), Col("金额", 12, "yuan"), Col("比例", 8, "percent"),
                                    Col("日期", 12, "date"), Col("时间", 17, "datetime"), Col("颜色"), Col("是否"),
                                    Col("长文字")], lambda: rows)])
    ws = book["表"]
    cells = next(ws.iter_rows(min_row=2))
    assert [c.value for c in cells[:7]] == ["=1+1", 1200, 0.5, datetime(2025, 3, 1), datetime(2025, 3, 1, 8, 30),
                                            "红", "是"]
    assert cells[0].data_type == "s" and cells[0].number_format == "@"
    assert [c.number_format for c in cells[1:5]] == ["#,##0", "0%", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"]
    assert len(cells[7].value) == MAX_CELL_TEXT
    head = ws["A1"]
    assert head.font.b and head.fill.fgColor.rgb.endswith("F2DCDB") and round(ws.row_dimensions[1].height) == 32
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H2"
    assert round(ws.column_dimensions["A"].width) == 21  # 20 and Excel's padding


def test_an_auto_column_is_formatted_row_by_row_and_an_empty_sheet_keeps_its_header():
    summary = Sheet("s", "汇总", [Col("指标"), Col("数值", kind="auto")], lambda: [("户数", 3), ("覆盖率", 0.25)],
                    cell_kind=lambda row: "percent" if row[0].endswith("率") else "int", autofilter=False)
    empty = Sheet("e", "空表", [Col("乡镇"), Col("身份证号", typed="text")], list)
    book = _book([summary, empty])
    assert [(c.value, c.number_format) for c in book["汇总"]["B"][1:]] == [(3, "#,##0"), (0.25, "0%")]
    assert [c.value for c in book["空表"][1]] == ["乡镇", "身份证号"] and book["空表"].max_row == 1


def test_rows_written_and_progress_are_reported(monkeypatch):
    import relief.spreadsheets as writer

    monkeypatch.setattr(writer, "PROGRESS_EVERY", 2)
    seen = []
    out = io.BytesIO()
    written = write_xlsx(out, [Sheet("a", "甲", [Col("n", kind="int")], lambda: ((i,) for i in range(5)))],
                         progress=lambda *p: seen.append(p))
    assert written == {"甲": 5} and seen == [(0, "甲", 0), (0, "甲", 2), (0, "甲", 4)]
    assert [c.value for c in openpyxl.load_workbook(out)["甲"]["A"][1:]] == [0, 1, 2, 3, 4]
