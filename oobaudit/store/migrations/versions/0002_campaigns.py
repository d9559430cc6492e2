"""Campaigns: several collectors (one per OOB segment) write one logical sweep.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("campaign", sa.String(128), nullable=True))
        batch.add_column(sa.Column("collector", sa.String(128), nullable=True))
        batch.create_index("ix_sweeps_campaign", ["campaign"])


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_index("ix_sweeps_campaign")
        batch.drop_column("collector")
        batch.drop_column("campaign")
