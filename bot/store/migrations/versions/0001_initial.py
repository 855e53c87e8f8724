"""initial schema: catalogue, runtime state, notices

Revision ID: 0001
Revises:
Create Date: 2026-11-26

The catalogue tables of bot.store.models and the runtime state of bot.store.state (chat
context, question log, processed updates, subscriptions, notices, outbox).  Chat ids are
BIGINT; surrogate ids are BIGINT on PostgreSQL and INTEGER (rowid) on SQLite.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "catalogue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("online_over_40", sa.Boolean(), nullable=False),
        sa.Column("green", sa.Boolean(), nullable=False),
        sa.Column("digital", sa.Boolean(), nullable=False),
        sa.Column("shortage", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "kind", "seq"),
    )
    op.create_index(op.f("ix_catalogue_entry_code"), "catalogue_entry", ["code"], unique=False)
    op.create_index(op.f("ix_catalogue_entry_name"), "catalogue_entry", ["name"], unique=False)
    op.create_index(op.f("ix_catalogue_entry_year"), "catalogue_entry", ["year"], unique=False)
    op.create_table(
        "chat_context",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_table(
        "legacy_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.String(length=8), nullable=False),
        sa.Column("situation", sa.String(length=32), nullable=False),
        sa.Column("current_category", sa.String(length=4), nullable=False),
        sa.Column("current_code", sa.String(length=16), nullable=False),
        sa.Column("current_name", sa.String(length=200), nullable=False),
        sa.Column("legacy_category", sa.String(length=4), nullable=False),
        sa.Column("legacy_code", sa.String(length=16), nullable=False),
        sa.Column("legacy_name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_legacy_code_current_code"), "legacy_code", ["current_code"], unique=False
    )
    op.create_index(
        op.f("ix_legacy_code_legacy_code"), "legacy_code", ["legacy_code"], unique=False
    )
    op.create_index(op.f("ix_legacy_code_year"), "legacy_code", ["year"], unique=False)
    op.create_table(
        "notice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "processed_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index(
        op.f("ix_processed_update_processed_at"),
        "processed_update",
        ["processed_at"],
        unique=False,
    )
    op.create_table(
        "question_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_question_log_asked_at"), "question_log", ["asked_at"], unique=False)
    op.create_index(op.f("ix_question_log_text"), "question_log", ["text"], unique=False)
    op.create_table(
        "subscription",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_type", sa.String(length=16), nullable=False),
        sa.Column("topics", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("inactive_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id"),
    )
    op.create_index(op.f("ix_subscription_active"), "subscription", ["active"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "subscription_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "subscription_id"),
    )
    op.create_index(op.f("ix_outbox_chat_id"), "outbox", ["chat_id"], unique=False)
    op.create_index("ix_outbox_claim", "outbox", ["state", "available_at"], unique=False)
    op.create_index(op.f("ix_outbox_notice_id"), "outbox", ["notice_id"], unique=False)
    op.create_index(op.f("ix_outbox_subscription_id"), "outbox", ["subscription_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_outbox_subscription_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_notice_id"), table_name="outbox")
    op.drop_index("ix_outbox_claim", table_name="outbox")
    op.drop_index(op.f("ix_outbox_chat_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_subscription_active"), table_name="subscription")
    op.drop_table("subscription")
    op.drop_index(op.f("ix_question_log_text"), table_name="question_log")
    op.drop_index(op.f("ix_question_log_asked_at"), table_name="question_log")
    op.drop_table("question_log")
    op.drop_index(op.f("ix_processed_update_processed_at"), table_name="processed_update")
    op.drop_table("processed_update")
    op.drop_table("notice")
    op.drop_index(op.f("ix_legacy_code_year"), table_name="legacy_code")
    op.drop_index(op.f("ix_legacy_code_legacy_code"), table_name="legacy_code")
    op.drop_index(op.f("ix_legacy_code_current_code"), table_name="legacy_code")
    op.drop_table("legacy_code")
    op.drop_table("chat_context")
    op.drop_index(op.f("ix_catalogue_entry_year"), table_name="catalogue_entry")
    op.drop_index(op.f("ix_catalogue_entry_name"), table_name="catalogue_entry")
    op.drop_index(op.f("ix_catalogue_entry_code"), table_name="catalogue_entry")
    op.drop_table("catalogue_entry")
