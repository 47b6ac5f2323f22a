"""The claim table as CSV, XLSX and JSON, and its mentions table (one row per mention), in
flat memory whatever the number of claims.

Rows come from one aggregate query (claims.selectors.claim_export_rows) read through a
server-side cursor in chunks of EXPORT_CHUNK rows. CSV and JSON are streamed to the client as
they are produced; XLSX is written row by row into a temporary file by openpyxl's write-only
workbook (a zip cannot be streamed before it is complete) and then sent as a file.

Spreadsheet safety: article text is untrusted. A cell that starts with = + - @ (or a tab or
carriage return) would be run as a formula by spreadsheet programs, so CSV cells get a
leading apostrophe (OWASP "CSV injection") and XLSX cells are typed as text, never formula.

For people: CSV and XLSX show labels ("Mostly true", the project's name), not codes; JSON keeps
the codes its schema documents and adds the labels beside them. Times are ISO 8601 in UTC to
the second. CSV starts with a UTF-8 byte order mark, without which Excel misreads accents.
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
from openpyxl.utils import get_column_letter

from claims.models import Claim, ClaimKind, ClaimStatus
from claims.selectors import claim_export_rows, mention_export_rows

# Rows per FETCH from the server-side cursor: a few MB of quotes at most per chunk.
EXPORT_CHUNK = 2000
# Bytes gathered before a CSV/JSON chunk goes to the client: fewer, larger writes.
STREAM_CHUNK_BYTES = 64 * 1024
# Excel refuses longer cell text.
XLSX_CELL_LIMIT = 32767
# How list cells are joined in CSV and XLSX (JSON keeps lists).
SEPARATORS = {"quotes": "\n", "outlets": "; ", "tags": ", "}
# Excel reads a CSV as UTF-8 only when it starts with this mark.
CSV_BOM = "\ufeff"
# Column widths in characters; others get DEFAULT_WIDTH. Long text wraps in Excel anyway.
WIDTHS = {"id": 8, "claim_id": 8, "statement": 60, "claim": 60, "quotes": 60, "quote": 60}
WIDTHS |= {"outlets": 30, "link": 40, "verdict_summary": 40}
DEFAULT_WIDTH = 18
_STATUS_LABELS = dict(ClaimStatus.choices)
_KIND_LABELS = dict(ClaimKind.choices)

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
    "project",
    "created_at",
    "updated_at",
]
# JSON keeps the documented codes and adds the labels the spreadsheets show.
JSON_COLUMNS = [*COLUMNS, "project_id", "status_label", "kind_label"]
MENTION_COLUMNS = ["claim_id", "claim", "status", "outlet", "date", "quote", "link"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_rows(claims: QuerySet[Claim]) -> Iterator[dict[str, Any]]:
    """The claim table rows, read lazily through a server-side cursor."""
    for row in claim_export_rows(claims=claims).iterator(chunk_size=EXPORT_CHUNK):
        yield {
            **row,
            "outlets": row["outlets"] or [],
            "quotes": row["quotes"] or [],
            "project": row["project__name"],
            "status_label": _STATUS_LABELS.get(str(row["status"]), row["status"]),
            "kind_label": _KIND_LABELS.get(str(row["kind"]), row["kind"]),
        }


def labelled(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Claim rows for people (CSV, XLSX): the status and kind as their labels."""
    for row in rows:
        yield {**row, "status": row["status_label"], "kind": row["kind_label"]}


def mention_rows(claims: QuerySet[Claim], *, reader_base: str) -> Iterator[dict[str, Any]]:
    """One row per mention: the claim, the outlet and date of its article, its own quote, and
    a link to the article (its web address, else its page in the reader at `reader_base`)."""
    for row in mention_export_rows(claims=claims).iterator(chunk_size=EXPORT_CHUNK):
        yield {
            "claim_id": row["claim_id"],
            "claim": row["claim__statement"],
            "status": _STATUS_LABELS.get(str(row["claim__status"]), row["claim__status"]),
            "outlet": row["article__source__name"] or "",
            "date": row["seen"],
            "quote": row["exact"],
            "link": row["article__url"] or f"{reader_base}{row['article_id']}/",
        }


def iso(value: dt.datetime) -> str:
    """ISO 8601 in UTC to the second: 2024-01-05T08:00:00Z."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flat(value: Any, separator: str) -> Any:
    """One spreadsheet cell for a list (joined) or a datetime (ISO 8601, UTC)."""
    if isinstance(value, list):
        return separator.join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return iso(value)
    return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_row(row: dict[str, Any], columns: list[str]) -> list[Any]:
    return [_csv_cell(_flat(row[col], SEPARATORS.get(col, "; "))) for col in columns]


def stream_csv(rows: Iterable[dict[str, Any]], columns: list[str] = COLUMNS) -> Iterator[bytes]:
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_csv_row(row, columns))
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
        values = {col: _json_value(row[col]) for col in JSON_COLUMNS}
        part = ("," if index else "") + encoder.encode(values)
        parts.append(part)
        size += len(part)
        if size >= STREAM_CHUNK_BYTES:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    parts.append("]")
    yield "".join(parts).encode("utf-8")


def _json_value(value: Any) -> Any:
    return iso(value) if isinstance(value, dt.datetime) else value


def _xlsx_value(col: str, value: Any) -> Any:
    value = _flat(value, SEPARATORS.get(col, "; ")) if isinstance(value, list) else value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: UTC wall time, and the header says so.
        return value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]
    return value


def write_xlsx(
    rows: Iterable[dict[str, Any]], columns: list[str] = COLUMNS, title: str = "Claims"
) -> IO[bytes]:
    """A table as an .xlsx in a temporary file (deleted when closed), rewound: the header row
    frozen, each column as wide as its kind of content needs."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"  # write-only sheets take panes and widths before the first row
    for index, col in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(col, DEFAULT_WIDTH)
    dated = ("_appearance", "_at", "date")
    headers = [f"{c} (UTC)" if c.endswith(dated) else c for c in columns]
    sheet.append(headers)
    for row in rows:
        cells: list[Any] = []
        for col in columns:
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
