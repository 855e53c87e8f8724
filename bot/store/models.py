"""SQLAlchemy 2 models: the shared declarative ``Base`` and the catalogue tables loaded from the
data files.

Runtime state (chat context, feedback, subscriptions, outbox) lives in ``bot.store.state`` on the
same ``Base`` so that one Alembic history covers the whole schema.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base for every table of skillbot."""


class CatalogueEntry(Base):
    """One row of 附件2 (plus its 附件3 shortage status), for one policy year."""

    __tablename__ = "catalogue_entry"
    __table_args__ = (UniqueConstraint("year", "kind", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(200), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    online_over_40: Mapped[bool] = mapped_column(Boolean, default=False)
    green: Mapped[bool] = mapped_column(Boolean, default=False)
    digital: Mapped[bool] = mapped_column(Boolean, default=False)
    shortage: Mapped[bool] = mapped_column(Boolean, default=False)


class LegacyCode(Base):
    """One row of 附件4: a current occupation and its legacy code/name during the transition."""

    __tablename__ = "legacy_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[str] = mapped_column(String(8), index=True)
    situation: Mapped[str] = mapped_column(String(32))
    current_category: Mapped[str] = mapped_column(String(4))
    current_code: Mapped[str] = mapped_column(String(16), index=True)
    current_name: Mapped[str] = mapped_column(String(200))
    legacy_category: Mapped[str] = mapped_column(String(4))
    legacy_code: Mapped[str] = mapped_column(String(16), index=True)
    legacy_name: Mapped[str] = mapped_column(String(200))
