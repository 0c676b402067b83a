"""dial lists: saved rules, list snapshots, their managers and entries; orders by status

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:13:28.199082
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_status_updated", ["status", "updated_at"], unique=False)

    op.create_table(
        "dial_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tree", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["managers.id"],
            name=op.f("fk_dial_rules_owner_id_managers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dial_rules")),
    )
    op.create_table(
        "dial_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("rule_tree", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "building",
                "ready",
                "failed",
                name="dial_list_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("entries_count", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("timezones", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["managers.id"],
            name=op.f("fk_dial_lists_owner_id_managers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["dial_rules.id"],
            name=op.f("fk_dial_lists_rule_id_dial_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dial_lists")),
    )
    with op.batch_alter_table("dial_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dial_lists_created_at"), ["created_at"], unique=False)

    op.create_table(
        "dial_list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "in_progress",
                "done",
                name="entry_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("callback_at", sa.DateTime(), nullable=True),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "answered",
                "no_answer",
                "busy",
                "wrong_number",
                "callback",
                "not_interested",
                "do_not_call",
                "ordered",
                name="dial_outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("worked_by_id", sa.Integer(), nullable=True),
        sa.Column("worked_at", sa.DateTime(), nullable=True),
        sa.Column("call_linkedid", sa.String(length=64), nullable=True),
        sa.Column("call_status", sa.String(length=16), nullable=True),
        sa.Column("call_status_reason", sa.String(length=255), nullable=True),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_dial_list_entries_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["dial_lists.id"],
            name=op.f("fk_dial_list_entries_list_id_dial_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["locked_by_id"],
            ["managers.id"],
            name=op.f("fk_dial_list_entries_locked_by_id_managers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_dial_list_entries_manager_id_managers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_dial_list_entries_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["worked_by_id"],
            ["managers.id"],
            name=op.f("fk_dial_list_entries_worked_by_id_managers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dial_list_entries")),
        sa.UniqueConstraint("list_id", "customer_id", name="uq_dial_list_entries_customer"),
        sa.UniqueConstraint("list_id", "phone", name="uq_dial_list_entries_phone"),
    )
    with op.batch_alter_table("dial_list_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dial_list_entries_call_linkedid"), ["call_linkedid"], unique=False
        )
        batch_op.create_index(
            "ix_dial_list_entries_callbacks",
            ["list_id", "callback_at"],
            unique=False,
            postgresql_where=sa.text("callback_at IS NOT NULL"),
            sqlite_where=sa.text("callback_at IS NOT NULL"),
        )
        batch_op.create_index(
            batch_op.f("ix_dial_list_entries_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_dial_list_entries_held",
            ["locked_by_id", "list_id"],
            unique=False,
            postgresql_where=sa.text("locked_by_id IS NOT NULL"),
            sqlite_where=sa.text("locked_by_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_dial_list_entries_queue",
            ["list_id", "manager_id", "state", "priority"],
            unique=False,
        )

    op.create_table(
        "dial_list_managers",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["dial_lists.id"],
            name=op.f("fk_dial_list_managers_list_id_dial_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_dial_list_managers_manager_id_managers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "manager_id", name=op.f("pk_dial_list_managers")),
    )
    with op.batch_alter_table("dial_list_managers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dial_list_managers_manager_id"), ["manager_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dial_list_managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dial_list_managers_manager_id"))

    op.drop_table("dial_list_managers")
    with op.batch_alter_table("dial_list_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_dial_list_entries_queue")
        batch_op.drop_index("ix_dial_list_entries_held")
        batch_op.drop_index(batch_op.f("ix_dial_list_entries_customer_id"))
        batch_op.drop_index("ix_dial_list_entries_callbacks")
        batch_op.drop_index(batch_op.f("ix_dial_list_entries_call_linkedid"))

    op.drop_table("dial_list_entries")
    with op.batch_alter_table("dial_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dial_lists_created_at"))

    op.drop_table("dial_lists")
    op.drop_table("dial_rules")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_updated")
