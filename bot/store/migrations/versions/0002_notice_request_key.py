"""notice.request_key: one notice per request (an edited or redelivered /notify)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

A nullable, unique ``request_key`` on ``notice`` (e.g. ``tg:<chat id>:<message id>``), so that
the same /notify handled twice queues one notice.  A plain ADD COLUMN and a unique index: no
table is rebuilt on SQLite (a rebuild of ``notice`` would cascade-delete its outbox rows).

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("notice", sa.Column("request_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_notice_request_key"), "notice", ["request_key"], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_notice_request_key"), table_name="notice")
    op.drop_column("notice", "request_key")  # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35)
