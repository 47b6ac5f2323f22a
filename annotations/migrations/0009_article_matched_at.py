"""Article.matched_at: articles processed before it were matched then (their matching task
ran), so they get their processed_at; only articles processed from now on wait for matching."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0008_passage_embedding_inline'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='matched_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(
            "UPDATE annotations_article SET matched_at = processed_at "
            "WHERE processing_state = 'processed'",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('matched_at__isnull', True), ('processing_state', 'processed')), fields=['project', 'processed_at'], name='article_match_waiting'),
        ),
    ]
