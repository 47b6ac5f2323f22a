import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    """Clause windows and their embeddings stored with each passage; the full-text vector
    becomes a column PostgreSQL computes on insert (a generated column cannot be altered into,
    so it is dropped and added again, with its GIN index)."""

    dependencies = [
        ("annotations", "0003_span_inside_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="passage",
            name="clause_bounds",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveIntegerField(), blank=True, default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="passage",
            name="unit_vectors",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.RemoveIndex(model_name="passage", name="passage_search_gin"),
        migrations.RemoveField(model_name="passage", name="search_vector"),
        migrations.AddField(
            model_name="passage",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    "text", config="english"
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="passage",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="passage_search_gin"
            ),
        ),
    ]
