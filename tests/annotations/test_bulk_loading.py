"""Bulk loading: each input kind, a report item per article, duplicates, bad input with its
message, nothing lost when one article or one batch fails, and the same article as one loaded
alone."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from annotations.models import Article, ProcessingState, Source
from annotations.services import article_create
from annotations.services.articles import MSG_DUPLICATE, MSG_EMPTY_TEXT, MSG_NUL_TEXT
from annotations.services.bulk_articles import (
    DUPLICATE,
    FAILED,
    LOADED,
    MSG_BATCH_FAILED,
    ArticleDraft,
    articles_bulk_create,
)
from annotations.services.bulk_inputs import (
    MSG_BAD_DATE,
    MSG_CSV_NO_TEXT,
    MSG_FIELD_TYPE,
    MSG_LINE_ENCODING,
    MSG_NO_TEXT,
    MSG_ZIP_BAD,
    MSG_ZIP_NESTED,
    MSG_ZIP_PATH,
    MSG_ZIP_TOO_LARGE,
    MSG_ZIP_TOO_MANY,
    drafts_checked,
    drafts_from_csv,
    drafts_from_upload,
    drafts_from_zip,
)
from annotations.services.extraction import MSG_BINARY
from common.errors import ApplicationError, PermissionDenied, TooLarge
from common.models import OutboxMessage
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    "The council approved the new bridge on Monday. Construction will take three years.",
    "Critics said the cost, 40 million euros, was too high. The mayor disagreed.",
    "The river rose two metres overnight and flooded the lower town.",
]


def drafts(*texts: str, **fields: str) -> list[ArticleDraft]:
    return [ArticleDraft(f"a{i}", {"text": t, **fields}) for i, t in enumerate(texts)]


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def load(project, data: bytes, name: str, **kwargs):
    return articles_bulk_create(
        project=project, drafts=drafts_checked(drafts_from_upload(name, data), name=name), **kwargs
    )


def test_a_bulk_article_is_the_one_article_create_saves(project, editor) -> None:
    fields: dict[str, Any] = {
        "title": "Bridge approved",
        "outlet": "Gazette",
        "url": "https://gazette.example/bridge",
        "byline": "Ana Lima",
        "language": "",
    }
    alone = article_create(project=project, text=TEXTS[0] + "\r\n", actor=editor, **fields)
    other = ProjectFactory()
    other.memberships.create(user=editor, role="editor")
    report = articles_bulk_create(
        project=other, drafts=drafts(TEXTS[0] + "\r\n", **fields), actor=editor
    )
    bulk = Article.objects.get(pk=report.items[0].article_id)  # type: ignore[misc]
    skip = {"id", "project", "source", "created_at", "updated_at"}
    names = [f.attname for f in Article._meta.concrete_fields if f.name not in skip]
    assert [getattr(bulk, n) for n in names] == [getattr(alone, n) for n in names]
    assert bulk.processing_state == ProcessingState.PENDING
    assert (bulk.source.name, bulk.source.domain) == (alone.source.name, alone.source.domain)  # type: ignore[union-attr]
    for article in (alone, bulk):  # no request here: the API's requests name their user
        (record,) = article.history.all()
        assert (record.history_type, record.history_user, record.text) == ("+", None, bulk.text)
    tasks = {m.args[0]: m.task_name for m in OutboxMessage.objects.all()}
    assert tasks == {
        alone.pk: "annotations.process_article",
        bulk.pk: "annotations.process_article",
    }


def test_tasks_are_queued_after_commit_one_per_article(
    project, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = articles_bulk_create(project=project, drafts=drafts(*TEXTS), batch_size=2)
    assert len(callbacks) == 2  # one publish per batch
    ids = sorted(item.article_id for item in report.items)  # type: ignore[type-var]
    assert sorted(m.args[0] for m in OutboxMessage.objects.filter(sent_at__isnull=False)) == ids


def test_viewers_cannot_bulk_load(project, viewer) -> None:
    with pytest.raises(PermissionDenied):
        articles_bulk_create(project=project, drafts=drafts(*TEXTS), actor=viewer)
    assert not Article.objects.exists()


def test_duplicates_within_the_upload_and_against_the_project_across_batches(project) -> None:
    stored = article_create(project=project, text=TEXTS[0], title="First")
    texts = [TEXTS[1], TEXTS[0], TEXTS[2], "  " + TEXTS[1] + "\n", TEXTS[2]]
    report = articles_bulk_create(project=project, drafts=drafts(*texts), batch_size=2)
    statuses = [(i.index, i.status) for i in report.items]
    assert statuses == [(0, LOADED), (1, DUPLICATE), (2, LOADED), (3, DUPLICATE), (4, DUPLICATE)]
    first, _, third, copy, copy2 = report.items
    assert report.items[1].article_id == stored.pk
    assert report.items[1].error == MSG_DUPLICATE.format(title="First", pk=stored.pk)
    loaded = Article.objects.get(pk=first.article_id)  # type: ignore[misc]
    assert copy.article_id == first.article_id
    assert copy.error == MSG_DUPLICATE.format(title=loaded.title, pk=loaded.pk)
    assert copy2.article_id == third.article_id
    assert Article.objects.count() == 3
    assert OutboxMessage.objects.count() == 3


def test_bad_items_get_article_creates_messages_and_lose_nothing(project) -> None:
    items = [
        ArticleDraft("ok-1", {"text": TEXTS[0]}),
        ArticleDraft("blank", {"text": "  \n "}),
        ArticleDraft("nul", {"text": "a\x00b"}),
        ArticleDraft("lang", {"text": TEXTS[1], "language": "klingon"}),
        ArticleDraft("url", {"text": TEXTS[1], "url": "not a url"}),
        ArticleDraft("unread", error="could not read it"),
        ArticleDraft("ok-2", {"text": TEXTS[2]}),
    ]
    report = articles_bulk_create(project=project, drafts=items)
    errors = {i.name: i.error for i in report.items if i.status == FAILED}
    assert errors["blank"] == MSG_EMPTY_TEXT
    assert errors["nul"] == MSG_NUL_TEXT
    assert "klingon" in errors["lang"]  # type: ignore[operator]
    assert errors["url"].startswith("url: ")  # type: ignore[union-attr]
    assert errors["unread"] == "could not read it"
    assert [i.name for i in report.items if i.status == LOADED] == ["ok-1", "ok-2"]
    assert report.count(LOADED) == Article.objects.count() == 2


def test_a_batch_the_database_refuses_fails_alone(project) -> None:
    # A real refusal by PostgreSQL: a trigger rejects one title.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_title() RETURNS trigger AS $$ BEGIN "
            "IF NEW.title = 'refused' THEN RAISE EXCEPTION 'refused by test'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql;"
            "CREATE TRIGGER refuse_title BEFORE INSERT ON annotations_article "
            "FOR EACH ROW EXECUTE FUNCTION refuse_title();"
        )
    items = drafts(*TEXTS, "Fourth article text here.", "Fifth article text here.")
    items[2].fields["title"] = "refused"
    report = articles_bulk_create(project=project, drafts=items, batch_size=2)
    assert [i.status for i in report.items] == [LOADED, LOADED, FAILED, FAILED, LOADED]
    assert report.items[2].error == MSG_BATCH_FAILED.format(error="ProgrammingError")
    assert report.items[3].error == report.items[2].error
    assert Article.objects.count() == OutboxMessage.objects.count() == 3
    assert not Article.history.filter(title="refused").exists()


def test_jsonl_lines_each_an_article_or_a_clear_error(project) -> None:
    lines = [
        json.dumps({"text": TEXTS[0], "outlet": "Wire", "published_at": "2024-05-02"}).encode(),
        b"",
        b"{not json",
        json.dumps(["a list"]).encode(),
        json.dumps({"title": "no text"}).encode(),
        json.dumps({"text": TEXTS[1], "title": 7}).encode(),
        json.dumps({"text": TEXTS[1], "published_at": "yesterday"}).encode(),
        '{"text": "café"}'.encode("latin-1"),
        json.dumps({"text": TEXTS[2], "language": "de"}).encode(),
    ]
    data = b"\n".join(lines)
    report = load(project, data, "feed.jsonl")
    by_name = {i.name: i for i in report.items}
    assert set(by_name) == {f"feed.jsonl:{n}" for n in (1, 3, 4, 5, 6, 7, 8, 9)}
    assert by_name["feed.jsonl:1"].status == LOADED
    assert by_name["feed.jsonl:3"].error.startswith("This line is not valid JSON")
    assert (
        by_name["feed.jsonl:4"].error == "This item is not a JSON object with the article's fields."
    )
    assert by_name["feed.jsonl:5"].error == MSG_NO_TEXT
    assert by_name["feed.jsonl:6"].error == MSG_FIELD_TYPE.format(field="title")
    assert by_name["feed.jsonl:7"].error == MSG_BAD_DATE.format(value="yesterday")
    assert by_name["feed.jsonl:8"].error == MSG_LINE_ENCODING
    article = Article.objects.get(pk=by_name["feed.jsonl:1"].article_id)
    assert (article.source.name, article.published_at.year) == ("Wire", 2024)  # type: ignore[union-attr]
    assert Article.objects.get(pk=by_name["feed.jsonl:9"].article_id).language == "de"


def test_csv_rows_with_a_header_and_a_windows_1252_file(project) -> None:
    text = (
        "text,title,outlet\r\n" + f'"{TEXTS[0]}",Bridge,Gazette\r\n' + '"Le maire a déclaré",,\r\n'
    )
    report = load(project, text.encode("cp1252"), "sheet.csv")
    assert [(i.name, i.status) for i in report.items] == [
        ("sheet.csv:2", LOADED),
        ("sheet.csv:3", LOADED),
    ]
    assert Article.objects.get(title="Bridge").source.name == "Gazette"  # type: ignore[union-attr]
    assert Article.objects.filter(text="Le maire a déclaré").exists()


def test_csv_without_a_text_column_is_refused_whole(project) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        list(drafts_from_csv("sheet.csv", b"title,outlet\nA,B\n"))
    assert excinfo.value.message == MSG_CSV_NO_TEXT.format(name="sheet.csv")


def test_zip_of_files_and_a_jsonl_with_bad_entries_reported(project) -> None:
    data = zip_of(
        {
            "desk/one.txt": TEXTS[0].encode(),
            "desk/two.md": b"# Dam report\n\nThe dam is **40 metres** high.",
            "desk/latin.txt": "Le barrage fait 40 mètres.".encode("latin-1"),
            "desk/blob.txt": b"\x89PNG\x00\x00\x00binary",
            "desk/more.jsonl": json.dumps({"text": TEXTS[1]}).encode(),
            "../escape.txt": TEXTS[2].encode(),
            "inner.zip": zip_of({"x.txt": b"x"}),
            "__MACOSX/._one.txt": b"\x00\x05",
        }
    )
    report = load(project, data, "desk.zip")
    by_name = {i.name: i for i in report.items}
    assert set(by_name) == {
        "desk/one.txt",
        "desk/two.md",
        "desk/latin.txt",
        "desk/blob.txt",
        "desk/more.jsonl:1",
        "../escape.txt",
        "inner.zip",
    }
    assert {n for n, i in by_name.items() if i.status == LOADED} == {
        "desk/one.txt",
        "desk/two.md",
        "desk/latin.txt",
        "desk/more.jsonl:1",
    }
    assert by_name["desk/blob.txt"].error == MSG_BINARY.format(name="blob.txt")
    assert by_name["../escape.txt"].error == MSG_ZIP_PATH
    assert by_name["inner.zip"].error == MSG_ZIP_NESTED
    assert Article.objects.get(title="Dam report").text == "Dam report\nThe dam is 40 metres high."
    assert Article.objects.filter(text="Le barrage fait 40 mètres.").exists()


def test_a_file_that_is_not_a_zip_is_refused(project) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        list(drafts_from_zip("desk.zip", b"PK\x03\x04 not really"))
    assert excinfo.value.message == MSG_ZIP_BAD.format(name="desk.zip")


@override_settings(CLAIMTRACK_BULK_MAX_ITEMS=2)
def test_a_zip_with_too_many_files_is_refused_before_reading(project) -> None:
    data = zip_of({f"{n}.txt": t.encode() for n, t in enumerate(TEXTS)})
    with pytest.raises(TooLarge) as excinfo:
        list(drafts_from_zip("desk.zip", data))
    assert excinfo.value.message == MSG_ZIP_TOO_MANY.format(count=3, limit=2)
    assert not Article.objects.exists()


@override_settings(CLAIMTRACK_BULK_MAX_UNZIPPED_BYTES=10_000)
def test_a_zip_that_unpacks_past_the_limit_is_refused(project) -> None:
    data = zip_of({"bomb.txt": b"a " * 50_000})
    assert len(data) < 10_000
    with pytest.raises(TooLarge) as excinfo:
        load(project, data, "bomb.zip")
    assert excinfo.value.message == MSG_ZIP_TOO_LARGE.format(limit=10_000)
    assert not Article.objects.exists()


def test_outlets_are_shared_and_created_once(project) -> None:
    Source.objects.create(project=project, name="Gazette")
    report = articles_bulk_create(
        project=project,
        drafts=[
            ArticleDraft("a", {"text": TEXTS[0], "outlet": "Gazette"}),
            ArticleDraft("b", {"text": TEXTS[1], "outlet": "Wire"}),
            ArticleDraft("c", {"text": TEXTS[2], "url": "https://wire.example/x"}),
        ],
    )
    assert report.count(LOADED) == 3
    assert sorted(Source.objects.values_list("name", "domain")) == [
        ("Gazette", ""),
        ("Wire", ""),
        ("wire.example", "wire.example"),
    ]


def test_load_articles_takes_jsonl_csv_and_zip(tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    (tmp_path / "feed.jsonl").write_text(json.dumps({"text": TEXTS[0]}) + "\n{bad\n")
    (tmp_path / "sheet.csv").write_text(f'text\n"{TEXTS[1]}"\n')
    (tmp_path / "desk.zip").write_bytes(zip_of({"a.txt": TEXTS[2].encode()}))
    out = StringIO()
    paths = [str(tmp_path / n) for n in ("feed.jsonl", "sheet.csv", "desk.zip")]
    call_command(
        "load_articles", *paths, "--project", "p", "--create-project", "--no-progress",
        "--outlet", "Wire", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    assert "Loaded 3, duplicates 0, failed 1." in out.getvalue()
    assert "feed.jsonl:2: This line is not valid JSON" in out.getvalue()
    assert set(Article.objects.values_list("source__name", flat=True)) == {"Wire"}
