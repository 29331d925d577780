"""purge cursor: finished applications the device may let go of

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('purgecursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_application_state_updated_at', 'application', ['state', 'updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_application_state_updated_at', table_name='application')
    op.drop_table('purgecursor')
