"""A version per project that every change to what matching reads bumps, in the same
transaction as the change (claims.matching.memo keys its per-process memo on it).

Triggers, not services, bump it: passages, marks, claims and aliases are written by services,
the admin, cascades and tests alike, and a write path that forgot the bump would leave every
worker matching on stale words. Row 0 is the version of the global aliases (no project).
The table has no foreign key: a project's rows go on being bumped while a cascade deletes it.
"""

from django.db import migrations

TABLE = """
CREATE TABLE claims_matchingversion (
    project_id bigint PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);
CREATE FUNCTION claims_bump_matching_version(projects bigint[]) RETURNS void
LANGUAGE sql AS $$
    -- in project order, so two transactions bumping the same projects never deadlock
    INSERT INTO claims_matchingversion AS v (project_id, version)
    SELECT DISTINCT p, 1 FROM unnest(projects) AS p WHERE p IS NOT NULL ORDER BY p
    ON CONFLICT (project_id) DO UPDATE SET version = v.version + 1;
$$;
"""

# One statement-level function per table: {new} and {old} select the projects of the rows in
# a transition table (new_rows, old_rows), {changed} those of the rows an update changed in
# what matching reads.
FUNCTION = """
CREATE FUNCTION claims_bump_from_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM claims_bump_matching_version(ARRAY({new}));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM claims_bump_matching_version(ARRAY({old}));
    ELSE
        PERFORM claims_bump_matching_version(ARRAY({changed}));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER claims_bump_on_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION claims_bump_from_{table}();
CREATE TRIGGER claims_bump_on_update AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_bump_from_{table}();
CREATE TRIGGER claims_bump_on_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION claims_bump_from_{table}();
"""

VIA_ARTICLE = "SELECT a.project_id FROM {rows} r JOIN annotations_article a ON a.id = r.article_id"
OWN = "SELECT coalesce(r.project_id, 0) FROM {rows} r"
SOURCES = {
    "annotations_passage": VIA_ARTICLE,
    "annotations_annotation": VIA_ARTICLE,
    "claims_claim": OWN,
    "claims_alias": OWN,
}
# The columns matching reads, where a table's rows are also updated for other reasons (a
# claim's status, a mark's anchor state; a claim matched again stores the vector it had):
# only an update that changes one of them bumps. Other tables: every update.
READ_COLUMNS = {
    "annotations_annotation": ("claim_id", "article_id", "start", '"end"', "exact"),
    "claims_claim": ("statement", "embedding", "project_id"),
}
CHANGED_VIA_ARTICLE = """
SELECT a.project_id FROM new_rows n JOIN old_rows o ON o.id = n.id
JOIN annotations_article a ON a.id IN (n.article_id, o.article_id) WHERE {differ}
"""
CHANGED_OWN = """
SELECT unnest(ARRAY[n.project_id, o.project_id]) FROM new_rows n JOIN old_rows o ON o.id = n.id
WHERE {differ}
"""


def _changed(table: str) -> str:
    columns = READ_COLUMNS.get(table)
    if columns is None:
        both = SOURCES[table].format(rows="new_rows") + " UNION "
        return both + SOURCES[table].format(rows="old_rows")
    differ = "({}) IS DISTINCT FROM ({})".format(
        ", ".join(f"n.{c}" for c in columns), ", ".join(f"o.{c}" for c in columns)
    )
    template = CHANGED_VIA_ARTICLE if SOURCES[table] == VIA_ARTICLE else CHANGED_OWN
    return template.format(differ=differ)


# An article counts for matching once processed: its state, stamps and language matter, not
# the matched_at every match writes (that would void every worker's memo at each match).
ARTICLE = """
CREATE FUNCTION claims_bump_from_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM claims_bump_matching_version(ARRAY[OLD.project_id]);
        RETURN NULL;
    END IF;
    PERFORM claims_bump_matching_version(ARRAY[NEW.project_id, OLD.project_id]);
    RETURN NULL;
END $$;
CREATE TRIGGER claims_bump_on_change AFTER UPDATE ON annotations_article FOR EACH ROW
    WHEN (OLD.processing_state IS DISTINCT FROM NEW.processing_state
          OR OLD.processed_at IS DISTINCT FROM NEW.processed_at
          OR OLD.revision IS DISTINCT FROM NEW.revision
          OR OLD.language IS DISTINCT FROM NEW.language
          OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION claims_bump_from_article();
CREATE TRIGGER claims_bump_on_delete AFTER DELETE ON annotations_article FOR EACH ROW
    EXECUTE FUNCTION claims_bump_from_article();
"""


def _forward() -> str:
    parts = [TABLE, ARTICLE]
    for table, source in SOURCES.items():
        parts.append(
            FUNCTION.format(
                table=table,
                new=source.format(rows="new_rows"),
                old=source.format(rows="old_rows"),
                changed=_changed(table),
            )
        )
    return "\n".join(parts)


def _backward() -> str:
    parts = [
        "DROP TRIGGER claims_bump_on_change ON annotations_article;",
        "DROP TRIGGER claims_bump_on_delete ON annotations_article;",
        "DROP FUNCTION claims_bump_from_article();",
    ]
    for table in SOURCES:
        parts += [
            f"DROP TRIGGER claims_bump_on_{op} ON {table};" for op in ("insert", "update", "delete")
        ]
        parts.append(f"DROP FUNCTION claims_bump_from_{table}();")
    parts += [
        "DROP FUNCTION claims_bump_matching_version(bigint[]);",
        "DROP TABLE claims_matchingversion;",
    ]
    return "\n".join(parts)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0004_annotation_moved_here"),
        ("annotations", "0012_article_held_by"),
    ]

    operations = [migrations.RunSQL(_forward(), _backward())]
