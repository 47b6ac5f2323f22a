"""Mentions now live in claims (claims migration 0004 takes over their tables): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0010_passage_index_halfvec"),
        ("claims", "0004_annotation_moved_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="HistoricalAnnotation"),
                migrations.DeleteModel(name="Annotation"),
            ],
            database_operations=[],
        ),
    ]
