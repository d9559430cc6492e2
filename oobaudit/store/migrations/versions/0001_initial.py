"""Initial schema: sweeps, targets, facts, evaluations, findings, baselines_seen.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("inventory_path", sa.Text, nullable=False),
        sa.Column("inventory_sha256", sa.String(64), nullable=False),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sweep_id", sa.String(40), sa.ForeignKey("sweeps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("rack", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.UniqueConstraint("sweep_id", "name"),
    )
    op.create_index("ix_targets_sweep_id", "targets", ["sweep_id"])
    op.create_table(
        "facts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sweep_id", sa.String(40), sa.ForeignKey("sweeps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("targets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("collector", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("collected_at", TZ, nullable=False),
    )
    op.create_index("ix_facts_sweep_target", "facts", ["sweep_id", "target_id"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sweep_id", sa.String(40), sa.ForeignKey("sweeps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("baseline_name", sa.String(128), nullable=True),
        sa.Column("baseline_version", sa.Integer, nullable=True),
        sa.Column("baseline_key_id", sa.String(64), nullable=True),
        sa.Column("baseline_sha256", sa.String(64), nullable=True),
        sa.Column("baselines", sa.JSON, nullable=False),
    )
    op.create_index("ix_evaluations_sweep_id", "evaluations", ["sweep_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sweep_id", sa.String(40), sa.ForeignKey("sweeps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("targets.id", ondelete="CASCADE"), nullable=True),
        sa.Column("target_name", sa.String(128), nullable=False),
        sa.Column("check_id", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
    )
    op.create_index("ix_findings_eval", "findings", ["evaluation_id"])
    op.create_table(
        "baselines_seen",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("highest_version", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("seen_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("findings", "evaluations", "facts", "targets", "sweeps", "baselines_seen"):
        op.drop_table(table)
