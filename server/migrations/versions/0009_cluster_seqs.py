"""ingest checkpoints hold a CouchDB cluster's seq whatever its length

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

A CouchDB 3 cluster's `seq` is an opaque string that grows with the shards it spans (93
characters for one shard on three nodes, 270 for eight); VARCHAR(200) refused it on PostgreSQL.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ingestcursor') as batch:
        batch.alter_column('since', type_=sa.Text(), existing_type=sqlmodel.sql.sqltypes.AutoString(length=200),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('ingestcursor') as batch:
        batch.alter_column('since', type_=sqlmodel.sql.sqltypes.AutoString(length=200), existing_type=sa.Text(),
                           existing_nullable=False)
