"""Keep passage vectors inline in their rows (PLAIN storage) instead of in the TOAST table.

A row holds the sentence, its clause vectors (bytea) and its embedding (1.5 kB): past 2 kB
PostgreSQL moved the embedding out of line, and an exact search (a project too small for the
IVFFlat index to be used) then read each vector through the TOAST index: 132 ms for 22,000
passages, 47 ms inline. The other wide columns still move out of line. Rows already stored keep
their layout until they are rewritten (processing an article again, or VACUUM FULL).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotations", "0007_vector_field_text")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE annotations_passage ALTER COLUMN embedding SET STORAGE PLAIN",
            reverse_sql="ALTER TABLE annotations_passage ALTER COLUMN embedding SET STORAGE EXTENDED",
        )
    ]
