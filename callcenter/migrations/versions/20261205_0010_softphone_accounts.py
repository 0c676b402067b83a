"""managers.softphone_user, softphone_ha1, softphone_state: the browser softphone

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 22:00:00

The service makes each manager's browser account (callcenter/softphone/accounts.py) and keeps
only Asterisk's md5_cred of it, with the SIP user it was made for: a new extension gets a new
secret. Empty until the service first writes the accounts. softphone_state is the browser's
device state (PJSIP/web101), beside the desk phone's device_state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("softphone_user", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("softphone_ha1", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("softphone_state", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.drop_column("softphone_state")
        batch_op.drop_column("softphone_ha1")
        batch_op.drop_column("softphone_user")
