"""asterisk_cel: Asterisk's CEL as cel_pgsql writes it; the service only reads it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 00:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TEXT_COLUMNS = (
    ("eventtype", 30),
    ("userdeftype", 255),
    ("cid_name", 80),
    ("cid_num", 80),
    ("cid_ani", 80),
    ("cid_rdnis", 80),
    ("cid_dnid", 80),
    ("exten", 80),
    ("context", 80),
    ("channame", 80),
    ("appname", 80),
    ("appdata", 512),
    ("accountcode", 32),
    ("peeraccount", 32),
    ("uniqueid", 150),
    ("linkedid", 150),
    ("userfield", 255),
    ("peer", 80),
    ("extra", 1024),
)


def upgrade() -> None:
    op.create_table(
        "asterisk_cel",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("eventtime", sa.Float(), nullable=False),
        sa.Column("amaflags", sa.Integer(), nullable=False, server_default="0"),
        *(
            sa.Column(name, sa.String(length=size), nullable=False, server_default="")
            for name, size in TEXT_COLUMNS
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asterisk_cel")),
    )
    op.create_index(op.f("ix_asterisk_cel_eventtime"), "asterisk_cel", ["eventtime"])


def downgrade() -> None:
    op.drop_index(op.f("ix_asterisk_cel_eventtime"), table_name="asterisk_cel")
    op.drop_table("asterisk_cel")
