"""Mentions (Annotation and its history) move to claims, which they point at, so the texts app
no longer depends on claims. State only: the tables, their rows, constraints, indexes and the
span triggers stay as they are (the model keeps the table names). The content types move with
them, so permissions, admin log entries and history keep pointing at the same rows.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


MOVED = ("annotation", "historicalannotation")


def _move_content_types(apps, schema_editor, source="annotations", target="claims"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=source, model__in=MOVED).update(app_label=target)


def _move_content_types_back(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="claims", target="annotations")


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0010_passage_index_halfvec"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0003_vector_field_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Annotation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("start", models.PositiveIntegerField()),
                        ("end", models.PositiveIntegerField()),
                        ("exact", models.TextField()),
                        ("prefix", models.CharField(blank=True, max_length=64)),
                        ("suffix", models.CharField(blank=True, max_length=64)),
                        (
                            "stance",
                            models.CharField(
                                choices=[
                                    ("asserts", "Asserts"),
                                    ("reports", "Reports (attributed)"),
                                    ("disputes", "Disputes"),
                                    ("denies", "Denies"),
                                ],
                                default="asserts",
                                max_length=10,
                            ),
                        ),
                        (
                            "anchor_state",
                            models.CharField(
                                choices=[
                                    ("anchored", "Anchored"),
                                    ("moved", "Re-anchored by quote"),
                                    ("fuzzy", "Re-anchored by fuzzy match"),
                                    ("orphaned", "Orphaned"),
                                ],
                                default="anchored",
                                max_length=10,
                            ),
                        ),
                        (
                            "origin",
                            models.CharField(
                                choices=[
                                    ("editor", "Marked by an editor"),
                                    ("candidate", "Accepted candidate"),
                                    ("import", "Imported"),
                                ],
                                default="editor",
                                max_length=10,
                            ),
                        ),
                        ("note", models.TextField(blank=True)),
                        ("version", models.PositiveIntegerField(default=1)),
                        (
                            "article",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="annotations",
                                to="annotations.article",
                            ),
                        ),
                        (
                            "author",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "claim",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="mentions",
                                to="claims.claim",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "annotations_annotation",
                    },
                ),
                migrations.AlterField(
                    model_name="historicalmatchcandidate",
                    name="annotation",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="claims.annotation",
                    ),
                ),
                migrations.AlterField(
                    model_name="matchcandidate",
                    name="annotation",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="claims.annotation",
                    ),
                ),
                migrations.CreateModel(
                    name="HistoricalAnnotation",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(blank=True, editable=False)),
                        ("updated_at", models.DateTimeField(blank=True, editable=False)),
                        ("start", models.PositiveIntegerField()),
                        ("end", models.PositiveIntegerField()),
                        ("exact", models.TextField()),
                        ("prefix", models.CharField(blank=True, max_length=64)),
                        ("suffix", models.CharField(blank=True, max_length=64)),
                        (
                            "stance",
                            models.CharField(
                                choices=[
                                    ("asserts", "Asserts"),
                                    ("reports", "Reports (attributed)"),
                                    ("disputes", "Disputes"),
                                    ("denies", "Denies"),
                                ],
                                default="asserts",
                                max_length=10,
                            ),
                        ),
                        (
                            "anchor_state",
                            models.CharField(
                                choices=[
                                    ("anchored", "Anchored"),
                                    ("moved", "Re-anchored by quote"),
                                    ("fuzzy", "Re-anchored by fuzzy match"),
                                    ("orphaned", "Orphaned"),
                                ],
                                default="anchored",
                                max_length=10,
                            ),
                        ),
                        (
                            "origin",
                            models.CharField(
                                choices=[
                                    ("editor", "Marked by an editor"),
                                    ("candidate", "Accepted candidate"),
                                    ("import", "Imported"),
                                ],
                                default="editor",
                                max_length=10,
                            ),
                        ),
                        ("note", models.TextField(blank=True)),
                        ("version", models.PositiveIntegerField(default=1)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "article",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="annotations.article",
                            ),
                        ),
                        (
                            "author",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "claim",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="claims.claim",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical annotation",
                        "verbose_name_plural": "historical annotations",
                        "db_table": "annotations_historicalannotation",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.AddIndex(
                    model_name="annotation",
                    index=models.Index(
                        fields=["article", "start"], name="annotation_article_start"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="annotation",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("start__lt", models.F("end"))),
                        name="annotations_annotation_start_before_end",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="annotation",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("exact", ""), _negated=True),
                        name="annotations_annotation_exact_not_empty",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="annotation",
                    constraint=models.UniqueConstraint(
                        fields=("article", "claim", "start", "end"),
                        name="annotations_annotation_unique_span_per_claim",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_move_content_types, _move_content_types_back),
    ]
