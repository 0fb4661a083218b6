"""A download's sheet is named from its title; Excel refuses some characters and long names."""

import io

from openpyxl import load_workbook

from pqa.exports import Column, sheet_title_of, xlsx_bytes


def test_a_sheet_title_drops_what_excel_refuses_and_keeps_31_characters():
    assert sheet_title_of("Complaints: by stage [Q1] */?\\") == "Complaints by stage Q1"
    assert len(sheet_title_of("x" * 50)) == 31
    assert sheet_title_of("[]:", "Export") == "Export"


def test_a_title_with_a_colon_still_downloads():
    content = xlsx_bytes([[1]], [Column("n", lambda row: row[0])], sheet_title="Outcomes: by stage")
    assert load_workbook(io.BytesIO(content)).sheetnames == ["Outcomes by stage"]
