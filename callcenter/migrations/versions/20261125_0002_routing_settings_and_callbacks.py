"""routing settings and callbacks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:51:43.228255
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["managers.id"],
            name=op.f("fk_app_settings_updated_by_id_managers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_settings")),
    )
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_offered_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_tasks_phone"), ["phone"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_phone"))
        batch_op.drop_column("phone")
        batch_op.drop_column("group_name")

    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.drop_column("last_offered_at")

    op.drop_table("app_settings")
