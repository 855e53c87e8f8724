"""conversation: one follow-up context per person in each chat, not one per chat

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

``chat_context`` (keyed by chat) becomes ``conversation``, keyed by (chat_id, user_id), both
BIGINT: in a group each person's follow-ups ("那车工呢") continue their own questions, not the
last speaker's.  A new table, then a copy, then the old one dropped: the same statements on
SQLite and PostgreSQL, and nothing references the table, so nothing cascades.  Every existing
context is kept as the chat's own (``user_id = chat_id``): exactly right for private chats,
where the person is the chat; in a group it is what an anonymous admin, speaking as the group,
continues.  Downgrading keeps those chat-own contexts and drops the per-person ones of groups.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "conversation",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id"),
    )
    op.execute(
        "INSERT INTO conversation (chat_id, user_id, data, updated_at) "
        "SELECT chat_id, chat_id, data, updated_at FROM chat_context"
    )
    op.drop_table("chat_context")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table(
        "chat_context",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.execute(
        "INSERT INTO chat_context (chat_id, data, updated_at) "
        "SELECT chat_id, data, updated_at FROM conversation WHERE user_id = chat_id"
    )
    op.drop_table("conversation")
