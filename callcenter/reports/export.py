"""The reports as files: CSV (one report) and XLSX (every report, a sheet each), made from
the same tables as the page (tables.py), with the labels in the reader's language.

CSV is RFC 4180: commas, a dot before decimals, UTF-8 with a byte-order mark so that Excel
reads Cyrillic; an empty cell is a figure with nothing to share (no calls offered). XLSX keeps
numbers as numbers, for people who go on counting in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

Table = list[list[Any]]


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in table:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Table]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    for title, table in sheets:
        sheet = book.add_worksheet(title[:31])
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                sheet.write(r, c, _cell(value), bold if r == 0 else None)
        if table:
            sheet.set_column(0, 0, 28)
            sheet.set_column(1, len(table[0]) - 1, 14)
            sheet.freeze_panes(1, 1)
    book.close()
    return out.getvalue()
