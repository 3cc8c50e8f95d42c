"""The change feed (issue 16): every place created, changed, hidden, gone or restored, in commit-safe order.

place_changes gets one row per public change of a place, written by statement-level triggers on places (so every
writer, the bulk import included, is covered, one INSERT ... SELECT per statement). Each row carries the id of the
transaction that wrote it (xid8): the feed (app/queries/changes.py) hands out only rows of transactions older than
the oldest one still running, in (xid, id) order, so a change that commits after a later one is never skipped.
Places visible when this migration runs get a `created` row, so a consumer may start from nothing.

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# What a change to a row means to a data user; columns of StepFree's own bookkeeping (what OSM said, the search
# text) change nothing they see.
UPDATE_FUNCTION = """
CREATE FUNCTION place_changes_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO place_changes (place_id, action)
    SELECT id, CASE WHEN NOT was THEN 'restored'
                    WHEN NOT visible THEN CASE WHEN gone THEN 'gone' ELSE 'hidden' END
                    ELSE 'changed' END
    FROM (SELECT n.id, o.hidden_at IS NULL AND o.gone_at IS NULL AS was,
                 n.hidden_at IS NULL AND n.gone_at IS NULL AS visible, n.gone_at IS NOT NULL AS gone,
                 (to_jsonb(n) - 'osm_seen' - 'search_text') IS DISTINCT FROM
                 (to_jsonb(o) - 'osm_seen' - 'search_text') AS differs
          FROM new_rows n JOIN old_rows o ON o.id = n.id) AS c
    WHERE (was OR visible) AND differs
    ORDER BY id;
    RETURN NULL;
END $$
"""
# No foreign key to places: StepFree never deletes a place (it is hidden or gone), but if one is deleted its removal
# must still reach data users.
DELETE_FUNCTION = """
CREATE FUNCTION place_changes_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO place_changes (place_id, action)
    SELECT id, 'gone' FROM old_rows WHERE hidden_at IS NULL AND gone_at IS NULL ORDER BY id;
    RETURN NULL;
END $$
"""
INSERT_FUNCTION = """
CREATE FUNCTION place_changes_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO place_changes (place_id, action)
    SELECT id, 'created' FROM new_rows WHERE hidden_at IS NULL AND gone_at IS NULL ORDER BY id;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute("""
        CREATE TABLE place_changes (
            -- The one index: the feed reads in (xid, id) order from a cursor, and an import writes a row per place.
            id bigint GENERATED ALWAYS AS IDENTITY,
            xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
            place_id integer NOT NULL,
            action varchar(16) NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_place_changes PRIMARY KEY (xid, id),
            CONSTRAINT ck_place_changes_action CHECK (action IN ('created', 'changed', 'hidden', 'gone', 'restored'))
        )""")
    op.execute(INSERT_FUNCTION)
    op.execute(UPDATE_FUNCTION)
    op.execute(DELETE_FUNCTION)
    op.execute("CREATE TRIGGER place_changes_insert AFTER INSERT ON places REFERENCING NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION place_changes_on_insert()")
    op.execute("CREATE TRIGGER place_changes_update AFTER UPDATE ON places REFERENCING OLD TABLE AS old_rows "
               "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION place_changes_on_update()")
    op.execute("CREATE TRIGGER place_changes_delete AFTER DELETE ON places REFERENCING OLD TABLE AS old_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION place_changes_on_delete()")
    op.execute("INSERT INTO place_changes (place_id, action) SELECT id, 'created' FROM places "
               "WHERE hidden_at IS NULL AND gone_at IS NULL ORDER BY id")


def downgrade() -> None:
    op.execute("DROP TRIGGER place_changes_delete ON places")
    op.execute("DROP TRIGGER place_changes_update ON places")
    op.execute("DROP TRIGGER place_changes_insert ON places")
    op.execute("DROP FUNCTION place_changes_on_update()")
    op.execute("DROP FUNCTION place_changes_on_insert()")
    op.execute("DROP FUNCTION place_changes_on_delete()")
    op.execute("DROP TABLE place_changes")
