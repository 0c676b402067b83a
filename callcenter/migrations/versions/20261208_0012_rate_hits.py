"""rate_hits: the login and website-callback rate limits, counted in the database

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 12:00:00

The limits lived in each process's memory; with several instances on one PostgreSQL each
counted its own share. Each hit is now a row (callcenter/core/rate_limits.py) that every
instance counts: the limit's bucket, the SHA-256 of the key (never the address, login or
phone number itself) and when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_hits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_hits")),
    )
    op.create_index("ix_rate_hits_bucket_key_at", "rate_hits", ["bucket", "key_hash", "at"])


def downgrade() -> None:
    op.drop_table("rate_hits")
