import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    """A claim's full-text vector becomes a column PostgreSQL computes from the statement (a
    generated column cannot be altered into, so it is dropped and added again, with its GIN
    index)."""

    dependencies = [
        ("claims", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="claim", name="claim_search_gin"),
        migrations.RemoveField(model_name="claim", name="search_vector"),
        migrations.AddField(
            model_name="claim",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    "statement", config="english"
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="claim_search_gin"
            ),
        ),
    ]
