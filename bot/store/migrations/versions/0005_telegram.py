"""telegram: feedback that asks (answer given, what was wrong, a comment) and shared answers

Revision ID: 0005_telegram
Revises: 0004_trust
Create Date: 2026-12-02

``question_log`` gains what a 👎 tells: the answer that was given, the choice made under
「哪里不对？」 and the one free-text comment (all nullable; old rows have none).  ``shared_answer``
keeps the question behind a deep link's short id (``start=s_…``), so that an answer shared
from inline mode opens again in the bot; the id is derived from the question, so sharing the
same question twice keeps one row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005_telegram"
down_revision: str | Sequence[str] | None = "0004_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("answer", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("detail", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("comment", sa.String(length=500), nullable=True))
    op.create_table(
        "shared_answer",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("shared_answer")
    with op.batch_alter_table("question_log") as batch:
        batch.drop_column("comment")
        batch.drop_column("detail")
        batch.drop_column("answer")
