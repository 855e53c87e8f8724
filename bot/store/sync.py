"""Loading the data files into the database through SQLAlchemy, and reading the catalogue back.

The data files are the source of truth; the tables are a copy for SQL users and for the export.
A year is (re)loaded when its row count in the database differs from the files.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.store.db import ensure_schema, make_engine
from bot.store.models import CatalogueEntry, LegacyCode
from knowledge.catalogue import Knowledge, load

EXPORT_FIELDS = (
    "kind",
    "seq",
    "category",
    "name",
    "code",
    "online_over_40",
    "green",
    "digital",
    "shortage",
)


def sync_year(session: Session, knowledge: Knowledge) -> bool:
    """Make the tables hold exactly the files of ``knowledge.year``; return whether it wrote."""
    year = knowledge.year
    count = session.scalar(
        select(func.count()).select_from(CatalogueEntry).where(CatalogueEntry.year == year)
    )
    legacy = session.scalar(
        select(func.count()).select_from(LegacyCode).where(LegacyCode.year == year)
    )
    if count == len(knowledge.entries) and legacy == len(knowledge.transitions):
        return False
    session.execute(delete(CatalogueEntry).where(CatalogueEntry.year == year))
    session.execute(delete(LegacyCode).where(LegacyCode.year == year))
    session.add_all(
        CatalogueEntry(year=year, **{f: getattr(e, f) for f in EXPORT_FIELDS})
        for e in knowledge.entries
    )
    session.add_all(
        LegacyCode(
            year=year,
            situation=t.situation,
            current_category=t.current_category,
            current_code=t.current_code,
            current_name=t.current_name,
            legacy_category=t.legacy_category,
            legacy_code=t.legacy_code,
            legacy_name=t.legacy_name,
        )
        for t in knowledge.transitions
    )
    session.commit()
    return True


def catalogue_rows(year: str = "2024", url: str | None = None) -> list[dict[str, Any]]:
    """Every catalogue entry of ``year`` as export rows, read from the database."""
    knowledge = load(year)
    engine = make_engine(url)
    try:
        ensure_schema(engine, auto_upgrade=True)
        with Session(engine) as session:
            sync_year(session, knowledge)
            rows = session.scalars(
                select(CatalogueEntry)
                .where(CatalogueEntry.year == year)
                .order_by(CatalogueEntry.id)
            ).all()
            return [{f: getattr(r, f) for f in EXPORT_FIELDS} for r in rows]
    finally:
        engine.dispose()
