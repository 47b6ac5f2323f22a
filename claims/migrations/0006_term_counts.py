"""The word counts behind the IDF weights, kept in PostgreSQL (claims.matching.counts).

- claims_termcount: per project (and whether articles' own aliases are read), the sum of what
  its counted articles contribute: passages per term, articles per lower-case word, per
  declared alias pair, per language, and the passages counted. A new worker reads it at once.
- claims_articleterms: what each counted article contributed, under which stamp of the
  article, with its words as hashes (tokens, GIN-indexed: which articles may name an alias
  variant), so an article reprocessed or deleted is uncounted exactly.
- claims_termlog: the net change of each count step, by step number (and the step before
  it), so a worker that holds the counts of an earlier step applies what changed instead of
  reading them all.
- claims_termcountstate: the sequence number and the editors' alias rows counted with; its row
  lock lets one count step run at a time per project.
No foreign keys: an article's row must outlive the article until a count step uncounts it.
"""

from django.db import migrations

FORWARD = """
CREATE TABLE claims_termcountstate (
    project_id bigint NOT NULL,
    discover boolean NOT NULL,
    seq bigint NOT NULL DEFAULT 0,
    alias_rows jsonb NOT NULL DEFAULT '[]',
    fingerprint text NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, discover)
);
CREATE TABLE claims_termcount (
    project_id bigint NOT NULL,
    discover boolean NOT NULL,
    kind smallint NOT NULL,
    term text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (project_id, discover, kind, term)
);
CREATE TABLE claims_articleterms (
    article_id bigint NOT NULL,
    discover boolean NOT NULL,
    project_id bigint NOT NULL,
    stamp text NOT NULL,
    kinds smallint[] NOT NULL,
    terms text[] NOT NULL,
    ns bigint[] NOT NULL,
    tokens integer[] NOT NULL,
    PRIMARY KEY (article_id, discover)
);
-- the counted articles of a project, compared with its processed ones at each count step
CREATE INDEX claims_articleterms_project ON claims_articleterms (project_id, discover);
-- the articles holding every word of an alias variant (tokens @> ...)
CREATE INDEX claims_articleterms_tokens ON claims_articleterms USING gin (tokens);
-- Step numbers come from a sequence, which a rollback does not take back: a number is never
-- given to two steps, so a process that saw a step that rolled back never takes another for it.
CREATE SEQUENCE claims_termcount_step;
CREATE TABLE claims_termlog (
    project_id bigint NOT NULL,
    discover boolean NOT NULL,
    seq bigint NOT NULL,
    prev bigint NOT NULL,
    kinds smallint[] NOT NULL,
    terms text[] NOT NULL,
    ns bigint[] NOT NULL,
    PRIMARY KEY (project_id, discover, seq)
);
"""

BACKWARD = """
DROP TABLE claims_termlog;
DROP SEQUENCE claims_termcount_step;
DROP TABLE claims_articleterms;
DROP TABLE claims_termcount;
DROP TABLE claims_termcountstate;
"""


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_matching_version")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
