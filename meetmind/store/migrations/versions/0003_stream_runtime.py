"""stream runtime

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 06:53:41.534515
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rtms_server_urls", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("record_audio", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("audio_path", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("audio_path")
        batch_op.drop_column("record_audio")
        batch_op.drop_column("rtms_server_urls")
