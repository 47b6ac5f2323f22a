"""The claim table as CSV, XLSX and JSON, in flat memory whatever the number of claims.

Rows come from one aggregate query (claims.selectors.claim_export_rows) read through a
server-side cursor in chunks of EXPORT_CHUNK rows. CSV and JSON are streamed to the client as
they are produced; XLSX is written row by row into a temporary file by openpyxl's write-only
workbook (a zip cannot be streamed before it is complete) and then sent as a file.

Spreadsheet safety: article text is untrusted. A cell that starts with = + - @ (or a tab or
carriage return) would be run as a formula by spreadsheet programs, so CSV cells get a
leading apostrophe (OWASP "CSV injection") and XLSX cells are typed as text, never formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from claims.models import Claim
from claims.selectors import claim_export_rows

# Rows per FETCH from the server-side cursor: a few MB of quotes at most per chunk.
EXPORT_CHUNK = 2000
# Bytes gathered before a CSV/JSON chunk goes to the client: fewer, larger writes.
STREAM_CHUNK_BYTES = 64 * 1024
# Excel refuses longer cell text.
XLSX_CELL_LIMIT = 32767
# How list cells are joined in CSV and XLSX (JSON keeps lists).
SEPARATORS = {"quotes": "\n", "outlets": "; ", "tags": ", "}

COLUMNS = [
    "id",
    "statement",
    "status",
    "kind",
    "source_count",
    "outlets",
    "first_appearance",
    "last_appearance",
    "mention_count",
    "article_count",
    "quotes",
    "verdict_summary",
    "tags",
    "project_id",
    "created_at",
    "updated_at",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_rows(claims: QuerySet[Claim]) -> Iterator[dict[str, Any]]:
    """The claim table rows, read lazily through a server-side cursor."""
    for row in claim_export_rows(claims=claims).iterator(chunk_size=EXPORT_CHUNK):
        yield {**row, "outlets": row["outlets"] or [], "quotes": row["quotes"] or []}


def _flat(value: Any, separator: str) -> Any:
    """One spreadsheet cell for a list (joined) or a datetime (ISO 8601, UTC)."""
    if isinstance(value, list):
        return separator.join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_row(row: dict[str, Any]) -> list[Any]:
    return [_csv_cell(_flat(row[col], SEPARATORS.get(col, "; "))) for col in COLUMNS]


def stream_csv(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_csv_row(row))
        if buffer.tell() >= STREAM_CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def stream_json(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A JSON array, one object per claim, written as the rows arrive."""
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    parts: list[str] = ["["]
    size = 1
    for index, row in enumerate(rows):
        part = ("," if index else "") + encoder.encode({col: row[col] for col in COLUMNS})
        parts.append(part)
        size += len(part)
        if size >= STREAM_CHUNK_BYTES:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    parts.append("]")
    yield "".join(parts).encode("utf-8")


def _xlsx_value(col: str, value: Any) -> Any:
    value = _flat(value, SEPARATORS.get(col, "; ")) if isinstance(value, list) else value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: UTC wall time, and the header says so.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]
    return value


def write_xlsx(rows: Iterable[dict[str, Any]]) -> IO[bytes]:
    """The claim table as an .xlsx in a temporary file (deleted when closed), rewound."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Claims")
    headers = [f"{c} (UTC)" if c.endswith(("_appearance", "_at")) else c for c in COLUMNS]
    sheet.append(headers)
    for row in rows:
        cells: list[Any] = []
        for col in COLUMNS:
            value = _xlsx_value(col, row[col])
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                value = cell
            cells.append(value)
        sheet.append(cells)
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(target)
    target.seek(0)
    return target
