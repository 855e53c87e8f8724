"""Every policy year at once: the packaged ``knowledge/data/<year>/`` folders plus the
``<year>/`` folders of extra data directories (``SKILLBOT_DATA=DIR[:DIR…]``, read by the bot's
settings and passed in here).  A year in an extra directory overrides the packaged one, and a
later extra directory overrides an earlier one.  Pure: nothing here reads the environment unless
handed it.

>>> sorted(load_all()) == list(load_all().years)
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

from knowledge.catalogue import DATA_DIR, DataError, Knowledge, load_cached, year_folders

ENV_VAR = "SKILLBOT_DATA"


class Policies(Mapping[str, Knowledge]):
    """The loaded policy years, oldest first: ``policies["2024"]``, ``.get(year)``, ``.latest``."""

    def __init__(self, by_year: Mapping[str, Knowledge], folders: Mapping[str, Path]) -> None:
        if not by_year:
            raise DataError(DATA_DIR, "-", "-", "no policy year to load")
        self._by_year = {year: by_year[year] for year in sorted(by_year)}
        self.folders: Mapping[str, Path] = {year: folders[year] for year in self._by_year}
        """Where each year was read from."""

    def __getitem__(self, year: str) -> Knowledge:
        return self._by_year[year]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_year)

    def __len__(self) -> int:
        return len(self._by_year)

    @property
    def years(self) -> tuple[str, ...]:
        """The policy years, oldest first."""
        return tuple(self._by_year)

    @property
    def latest(self) -> Knowledge:
        """The most recent policy year."""
        return self._by_year[self.years[-1]]

    def __repr__(self) -> str:
        return f"Policies({', '.join(f'{y}={p}' for y, p in self.folders.items())})"


def load_all(extra_dirs: Sequence[Path] = ()) -> Policies:
    """Every ``<year>/`` folder of the packaged data and of each of ``extra_dirs`` (cached).

    An extra directory that does not exist or holds no ``<year>/`` folder is a :class:`DataError`
    (a mistyped ``SKILLBOT_DATA`` should stop the bot, not silently serve last year).
    """
    return _load_all(tuple(Path(d).expanduser().resolve() for d in extra_dirs))


@cache
def _load_all(extra_dirs: tuple[Path, ...]) -> Policies:
    folders = year_folders(DATA_DIR)
    for extra in extra_dirs:
        found = year_folders(extra)
        if not found:
            raise DataError(
                extra, "-", "-", "holds no <year>/ folder (name the directory that contains 2025/)"
            )
        folders.update(found)
    return Policies({year: load_cached(path) for year, path in folders.items()}, folders)


def data_dirs_from_env(environ: Mapping[str, str], name: str = ENV_VAR) -> list[Path]:
    """The extra data directories listed in ``environ[name]``, separated by ``os.pathsep`` (``:``).

    >>> data_dirs_from_env({"SKILLBOT_DATA": "/srv/a::/srv/b"})
    [PosixPath('/srv/a'), PosixPath('/srv/b')]
    >>> data_dirs_from_env({})
    []
    """
    return [Path(part).expanduser() for part in environ.get(name, "").split(os.pathsep) if part]
