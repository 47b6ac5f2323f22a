"""Database-level rule: a passage or annotation span lies inside its article's text, and an
anchored annotation's `exact` is the text at its position.

A CHECK constraint cannot look at another table, so triggers enforce it. Orphaned annotations
(text corrected, quote not re-found) are exempt: they keep their old selectors for an editor.
"""

from django.db import migrations

SQL = """
CREATE FUNCTION annotations_span_inside_text() RETURNS trigger AS $$
DECLARE
    article_text text;
BEGIN
    SELECT text INTO article_text FROM annotations_article WHERE id = NEW.article_id;
    -- PL/pgSQL does not short-circuit AND over record fields: nest the table test.
    IF TG_TABLE_NAME = 'annotations_annotation' THEN
        IF NEW.anchor_state = 'orphaned' THEN
            RETURN NEW;
        END IF;
    END IF;
    IF NEW."end" > char_length(article_text) THEN
        RAISE EXCEPTION 'span %-% lies outside the article text (length %)',
            NEW.start, NEW."end", char_length(article_text)
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'annotations_span_inside_text';
    END IF;
    IF TG_TABLE_NAME = 'annotations_annotation' THEN
        IF substr(article_text, NEW.start + 1, NEW."end" - NEW.start) <> NEW.exact THEN
            RAISE EXCEPTION 'annotation quote does not match the article text at %-%',
                NEW.start, NEW."end"
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'annotations_annotation_exact_matches_text';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER annotations_passage_span_inside_text
    BEFORE INSERT OR UPDATE OF start, "end", article_id ON annotations_passage
    FOR EACH ROW EXECUTE FUNCTION annotations_span_inside_text();

CREATE TRIGGER annotations_annotation_span_inside_text
    BEFORE INSERT OR UPDATE ON annotations_annotation
    FOR EACH ROW EXECUTE FUNCTION annotations_span_inside_text();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS annotations_annotation_span_inside_text ON annotations_annotation;
DROP TRIGGER IF EXISTS annotations_passage_span_inside_text ON annotations_passage;
DROP FUNCTION IF EXISTS annotations_span_inside_text();
"""


class Migration(migrations.Migration):
    dependencies = [("annotations", "0002_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
