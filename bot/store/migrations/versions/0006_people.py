"""people: hand-offs to staff, names staff taught, what staff did about misses; question channel

Revision ID: 0006_people
Revises: 0005_telegram
Create Date: 2026-11-30

New tables ``handoff`` (one open per worker: ``open_key`` unique while open), ``handoff_message``
(staff-group messages of a hand-off), ``taught_alias`` (who, when, why; kept when removed) and
``question_action`` (taught / handed off / ignored).  ``question_log`` gains ``channel``
(telegram, cli, web), a plain ADD COLUMN with a server default: existing rows are Telegram's.
Issues 9 and 10 add revisions 0004 and 0005 beside this one; the integrator chains them.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006_people"
down_revision: str | Sequence[str] | None = "0005_telegram"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "handoff",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("worker_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("worker_user_id", sa.BigInteger(), nullable=False),
        sa.Column("worker_name", sa.String(length=200), nullable=False),
        sa.Column("staff_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("header_message_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("trigger", sa.String(length=500), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_key", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index("ix_handoff_worker", "handoff", ["worker_chat_id", "worker_user_id"])
    op.create_index(op.f("ix_handoff_status"), "handoff", ["status"])
    op.create_index(op.f("ix_handoff_opened_at"), "handoff", ["opened_at"])
    op.create_table(
        "handoff_message",
        sa.Column("staff_chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handoff_id", _BigId, nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_chat_id", "message_id"),
    )
    op.create_table(
        "taught_alias",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("entry_key", sa.String(length=32), nullable=False),
        sa.Column("entry_name", sa.String(length=200), nullable=False),
        sa.Column("taught_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("taught_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_by", sa.String(length=64), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index(op.f("ix_taught_alias_changed_at"), "taught_alias", ["changed_at"])
    op.create_table(
        "question_action",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("acted_by", sa.String(length=64), nullable=False),
        sa.Column("acted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_question_action_text"), "question_action", ["text"])
    op.add_column(
        "question_log",
        sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("question_log") as batch:
        batch.drop_column("channel")
    op.drop_index(op.f("ix_question_action_text"), table_name="question_action")
    op.drop_table("question_action")
    op.drop_index(op.f("ix_taught_alias_changed_at"), table_name="taught_alias")
    op.drop_table("taught_alias")
    op.drop_table("handoff_message")
    op.drop_index(op.f("ix_handoff_opened_at"), table_name="handoff")
    op.drop_index(op.f("ix_handoff_status"), table_name="handoff")
    op.drop_index("ix_handoff_worker", table_name="handoff")
    op.drop_table("handoff")
