"""Domain schema: users, places, submissions, revisions, moderation events, device bans

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 22:10:27.392063
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_geospatial_table('places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('wheelchair', sa.String(length=16), server_default='unknown', nullable=False),
    sa.Column('toilets_wheelchair', sa.String(length=16), server_default='unknown', nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), server_default='volunteer', nullable=False),
    sa.Column('osm_type', sa.String(length=8), nullable=True),
    sa.Column('osm_id', sa.BigInteger(), nullable=True),
    sa.Column('osm_seen', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('gone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("category IN ('food', 'shopping', 'health', 'education', 'accommodation', 'leisure', 'culture', 'sport', 'public_transport', 'government', 'money_post', 'toilets', 'religion', 'parking', 'other')", name=op.f('ck_places_category')),
    sa.CheckConstraint("osm_type IS NULL OR osm_type IN ('node', 'way', 'relation')", name=op.f('ck_places_osm_type')),
    sa.CheckConstraint("source IN ('osm', 'volunteer', 'demo')", name=op.f('ck_places_source')),
    sa.CheckConstraint("toilets_wheelchair IN ('yes', 'no', 'unknown')", name=op.f('ck_places_toilets_wheelchair')),
    sa.CheckConstraint("wheelchair IN ('yes', 'limited', 'no', 'unknown')", name=op.f('ck_places_wheelchair')),
    sa.CheckConstraint('(osm_type IS NULL) = (osm_id IS NULL)', name=op.f('ck_places_osm_identity_complete')),
    sa.CheckConstraint('char_length(btrim(name)) > 0', name=op.f('ck_places_name_not_blank')),
    sa.CheckConstraint('char_length(description) <= 255', name=op.f('ck_places_description_length')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_places_version_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places')),
    sa.UniqueConstraint('osm_type', 'osm_id', name='uq_places_osm_identity')
    )
    op.create_geospatial_index('ix_places_geom', 'places', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_places_name_trgm', 'places', ['name'], unique=False, postgresql_using='gin',
                    postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_index('ix_places_updated_at', 'places', ['updated_at'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), server_default='volunteer', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('banned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ban_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("role IN ('volunteer', 'moderator', 'admin')", name=op.f('ck_users_role')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('device_bans',
    sa.Column('device_hash', sa.String(length=64), nullable=False),
    sa.Column('banned_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['banned_by_id'], ['users.id'], name=op.f('fk_device_bans_banned_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('device_hash', name=op.f('pk_device_bans'))
    )
    op.create_geospatial_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('origin', sa.String(length=16), server_default='volunteer', nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('proposed', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('device_hash', sa.String(length=64), nullable=True),
    sa.Column('auto_approved', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claim_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason_code', sa.String(length=16), nullable=True),
    sa.Column('reason_note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind = 'new_place' OR place_id IS NOT NULL", name=op.f('ck_submissions_place_required')),
    sa.CheckConstraint("kind IN ('status', 'new_place', 'correction', 'report')", name=op.f('ck_submissions_kind')),
    sa.CheckConstraint("reason_code IS NULL OR reason_code IN ('wrong', 'duplicate', 'spam', 'unverifiable', 'other', 'banned')", name=op.f('ck_submissions_reason_code')),
    sa.CheckConstraint("state <> 'rejected' OR reason_code IS NOT NULL", name=op.f('ck_submissions_rejection_has_reason')),
    sa.CheckConstraint("state IN ('pending', 'approved', 'rejected', 'superseded', 'withdrawn')", name=op.f('ck_submissions_state')),
    sa.CheckConstraint('(claimed_by_id IS NULL) = (claim_expires_at IS NULL)', name=op.f('ck_submissions_claim_complete')),
    sa.CheckConstraint("origin IN ('volunteer', 'import')", name=op.f('ck_submissions_origin')),
    sa.CheckConstraint("origin = 'import' OR author_id IS NOT NULL OR device_hash IS NOT NULL", name=op.f('ck_submissions_has_author')),
    sa.CheckConstraint('char_length(reason_note) <= 500', name=op.f('ck_submissions_reason_note_length')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_submissions_author_id_users')),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_submissions_claimed_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_submissions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_submissions_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    op.create_index('ix_submissions_author_id', 'submissions', ['author_id'], unique=False)
    op.create_index('ix_submissions_device_hash', 'submissions', ['device_hash'], unique=False)
    op.create_geospatial_index('ix_submissions_geom', 'submissions', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_submissions_pending_queue', 'submissions', ['created_at', 'id'], unique=False, postgresql_where=sa.text("state = 'pending'"))
    op.create_index('ix_submissions_place_id', 'submissions', ['place_id'], unique=False)
    op.create_table('moderation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('target_user_id', sa.Integer(), nullable=True),
    sa.Column('target_device_hash', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("action IN ('claim', 'release', 'approve', 'reject', 'skip', 'undo', 'revert', 'hide', 'unhide', 'dismiss', 'correct', 'ban', 'unban', 'role_change', 'auto_approve', 'import', 'import_conflict')", name=op.f('ck_moderation_events_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_moderation_events_actor_id_users')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_moderation_events_place_id_places')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_moderation_events_submission_id_submissions')),
    sa.ForeignKeyConstraint(['target_user_id'], ['users.id'], name=op.f('fk_moderation_events_target_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_events'))
    )
    op.create_index('ix_moderation_events_actor_id', 'moderation_events', ['actor_id'], unique=False)
    op.create_index('ix_moderation_events_created_at', 'moderation_events', ['created_at'], unique=False)
    op.create_index('ix_moderation_events_submission_id', 'moderation_events', ['submission_id'], unique=False)
    op.create_table('revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("source IN ('moderation', 'auto_approval', 'correction', 'import', 'revert', 'undo', 'demo')", name=op.f('ck_revisions_source')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_revisions_actor_id_users')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_revisions_place_id_places')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_revisions_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revisions')),
    sa.UniqueConstraint('place_id', 'version', name='uq_revisions_place_version')
    )
    op.create_index('ix_revisions_actor_id', 'revisions', ['actor_id'], unique=False)
    op.create_index('ix_revisions_submission_id', 'revisions', ['submission_id'], unique=False)
    op.create_index('ix_revisions_place_id_created_at', 'revisions', ['place_id', 'created_at'], unique=False)
    # The audit log is append-only: refuse UPDATE and DELETE at the database, whatever the caller.
    op.execute("""
        CREATE FUNCTION moderation_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'moderation_events is append-only';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER moderation_events_append_only BEFORE UPDATE OR DELETE ON moderation_events
        FOR EACH ROW EXECUTE FUNCTION moderation_events_append_only()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER moderation_events_append_only ON moderation_events")
    op.execute("DROP FUNCTION moderation_events_append_only()")
    op.drop_index('ix_revisions_place_id_created_at', table_name='revisions')
    op.drop_index('ix_revisions_submission_id', table_name='revisions')
    op.drop_index('ix_revisions_actor_id', table_name='revisions')
    op.drop_table('revisions')
    op.drop_index('ix_moderation_events_submission_id', table_name='moderation_events')
    op.drop_index('ix_moderation_events_created_at', table_name='moderation_events')
    op.drop_index('ix_moderation_events_actor_id', table_name='moderation_events')
    op.drop_table('moderation_events')
    op.drop_index('ix_submissions_place_id', table_name='submissions')
    op.drop_index('ix_submissions_pending_queue', table_name='submissions', postgresql_where=sa.text("state = 'pending'"))
    op.drop_geospatial_index('ix_submissions_geom', table_name='submissions', postgresql_using='gist', column_name='geom')
    op.drop_index('ix_submissions_device_hash', table_name='submissions')
    op.drop_index('ix_submissions_author_id', table_name='submissions')
    op.drop_geospatial_table('submissions')
    op.drop_table('device_bans')
    op.drop_table('users')
    op.drop_index('ix_places_updated_at', table_name='places')
    op.drop_index('ix_places_name_trgm', table_name='places')
    op.drop_geospatial_index('ix_places_geom', table_name='places', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('places')
