"""trust: who asked a logged question (for /forget), live instances, one shared send budget

Revision ID: 0004_trust
Revises: 0003
Create Date: 2026-11-30

* ``question_log`` gains ``chat_id`` and ``user_id`` (nullable; rows logged before this
  revision stay anonymous): /forget erases a person's logged questions and 👎, and nothing else
  in the log identifies them.  Rows are purged after ``SKILLBOT_RETENTION_DAYS`` anyway.
* ``instance``: one row per running bot process with its heartbeat; outbox claims are renewed
  by it and a dead instance's rows are taken over as soon as their short lease lapses.
* ``send_budget``: one row per budget (``telegram``): the database time (epoch seconds) at
  which the next message may go, shared by answers and notices of every instance, so that
  together they keep Telegram's 30 messages a second.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_trust"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))
        batch.create_index("ix_question_log_user_id", ["user_id"])
    op.create_table(
        "instance",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("delivering", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_instance_heartbeat_at", "instance", ["heartbeat_at"])
    budget = op.create_table(
        "send_budget",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("next_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(budget, [{"name": "telegram", "next_at": 0.0}])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("send_budget")
    op.drop_index("ix_instance_heartbeat_at", table_name="instance")
    op.drop_table("instance")
    with op.batch_alter_table("question_log") as batch:
        batch.drop_index("ix_question_log_user_id")
        batch.drop_column("user_id")
        batch.drop_column("chat_id")
