"""What the texts layer announces to the layers above it. They connect their receivers in their
own `AppConfig.ready()`; this app names none of them.

Each is sent inside the transaction that made the change, so what a receiver writes (an outbox
row, a mark moved to the new text) commits or rolls back with it.
"""

from django.dispatch import Signal

# An article's passages are stored and it waits for whatever follows (kwargs: article_id). The
# recovery sweep sends it again for a processed article whose follow-up never ran.
article_processed = Signal()

# An article's text was replaced by a corrected revision, before it is processed again (kwargs:
# article, text): whatever points into the old text is moved to the new one.
article_revised = Signal()

# The recovery sweep is running (no kwargs), inside its transaction: the layers above queue
# again their own work a dead worker left behind.
sweeping = Signal()
