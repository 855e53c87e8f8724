"""The notice as typed, validated, cached data: catalogue, shortage list, transitions, bases,
rules.

Data files live in ``knowledge/data/<year>/``; next year's notice is new files, not new code:
every figure, clause, notice number and year string is read from that folder, and the policy year
is the folder's name.  Every file is validated on load; a bad file raises :class:`DataError`
naming file, row and field.  Several years at once: :func:`knowledge.policies.load_all`.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
YEAR_FOLDER = re.compile(r"\d{4}")

KINDS = ("qualification", "special_ability", "training_certificate")
KIND_PREFIX = {"qualification": "q", "special_ability": "s", "training_certificate": "t"}
KIND_LABEL = {
    "qualification": "职业资格证书、职业技能等级证书",
    "special_ability": "专项职业能力证书",
    "training_certificate": "培训合格证书",
}
CODE_PATTERNS = {
    "qualification": re.compile(r"\d-\d{2}-\d{2}-\d{2}"),
    "special_ability": re.compile(r"\d{9}"),
    "training_certificate": re.compile(r"\d{10}"),
}
LEVELS = ("L1", "L2", "L3", "L4", "L5", "PASS")
# Entry.key (see entry_key): kind prefix, code digits, and -hash4 where a code is shared
KEY_PATTERN = re.compile(r"[qst][0-9]{7,10}(?:-[0-9a-f]{4})?")
# rules.yaml ``parameters``: the rates the calculator is given (none of them is in code)
INT_PARAMETERS = (
    "max_claims_per_year",
    "shortage_uplift_percent",
    "online_max_percent",
    "practical_min_percent",
    "minutes_per_class_hour",
)


class DataError(ValueError):
    """A data file is malformed; the message names file, row and field."""

    def __init__(self, path: Path | str, row: int | str, fld: str, problem: str) -> None:
        path = Path(path)
        where = f"{path.parent.name}/{path.name}" if path.suffix else str(path)  # 2025/rules.yaml
        super().__init__(f"{where}: row {row}: field {fld!r}: {problem}")


@dataclass(frozen=True)
class Entry:
    """One row of 附件2 with its marks as fields and its 附件3 shortage status.

    ``key`` is a short id for button payloads that survives renumbering: see :func:`entry_key`.
    """

    key: str
    kind: str
    seq: int
    category: str
    name: str
    code: str
    online_over_40: bool
    green: bool
    digital: bool
    shortage: bool
    shortage_seq: int | None
    printed: str

    @property
    def base_name(self) -> str:
        """The name without its trailing parenthesised sub-types: 起重装卸机械操作工.

        A bracket inside a name (生活（病员）照护) is part of the name.
        """
        return self.name.split("（", 1)[0] if self.name.endswith("）") else self.name

    @property
    def subtypes(self) -> tuple[str, ...]:
        """The parenthesised sub-types: (汽车吊司机, 叉车司机)."""
        m = re.search(r"（(.+)）$", self.name)
        return tuple(s for s in re.split(r"[、，,]", m.group(1)) if s) if m else ()


def entry_key(kind: str, code: str, name: str, *, shared: bool) -> str:
    """A catalogue entry's id for button payloads, from its kind, code and name (never its row).

    Kind prefix (q, s, t) and the code's digits; where several entries of the kind share the
    code (``shared``), a dash and 4 hex digits of a SHA-256 of ``kind|code|name`` tell them
    apart.  At most 16 characters of [0-9a-z-].

    >>> entry_key("qualification", "6-18-02-04", "焊工", shared=False)
    'q6180204'
    >>> entry_key("qualification", "4-10-01-06", "家政服务员（整理收纳师）", shared=True)
    'q4100106-d094'
    """
    key = KIND_PREFIX[kind] + code.replace("-", "")
    if shared:
        key += "-" + hashlib.sha256(f"{kind}|{code}|{name}".encode()).hexdigest()[:4]
    return key


@dataclass(frozen=True)
class Transition:
    """One row of 附件4 (a legacy cell with two codes is two rows)."""

    situation: str
    current_category: str
    current_code: str
    current_name: str
    legacy_category: str
    legacy_code: str
    legacy_name: str
    note: str

    @property
    def current_dashed(self) -> str:
        """附件4 writes current codes without dashes: 4010601 -> 4-01-06-01."""
        c = self.current_code
        return f"{c[0]}-{c[1:3]}-{c[3:5]}-{c[5:7]}"


@dataclass(frozen=True)
class Knowledge:
    """Everything the notice of one policy year says, indexed for lookups."""

    year: str
    entries: tuple[Entry, ...]
    transitions: tuple[Transition, ...]
    bases: dict[str, Any]
    rules: dict[str, Any]
    entrepreneurship: dict[str, Any]
    aliases: dict[str, tuple[str, ...]]
    aliases_none: tuple[str, ...] = ()
    by_key: dict[str, Entry] = field(default_factory=dict)
    by_code: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    by_name: dict[str, Entry] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        """Number of catalogue entries of one kind."""
        return sum(1 for e in self.entries if e.kind == kind)

    @property
    def notice(self) -> str:
        """The notice's number, e.g. 淮人社发〔2024〕22号 (rules.yaml ``notice``)."""
        return str(self.rules["notice"])

    @property
    def title(self) -> str:
        """The notice's title (rules.yaml ``title``)."""
        return str(self.rules["title"])

    @property
    def city(self) -> str:
        """The city whose notice this is (rules.yaml ``city``), e.g. 淮安."""
        return str(self.rules["city"])

    @property
    def subject(self) -> str:
        """What the notice is about, for greetings: 淮安市2024年政府补贴性职业技能培训."""
        return str(self.rules["subject"])

    def attachment(self, number: int) -> str:
        """The title of 附件``number``, e.g. 3 -> 淮安市2024年高技能人才培训补贴紧缺型…目录."""
        return str(self.rules["attachments"][f"附件{number}"])

    def clause(self, clause_id: str) -> dict[str, str]:
        """A clause of the notice with its citation."""
        return dict(self.rules["clauses"][clause_id])

    @property
    def parameters(self) -> dict[str, Any]:
        """Numeric rule parameters (max claims, uplift, online share …)."""
        return dict(self.rules["parameters"])


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise DataError(path, "-", "-", "file missing")
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    reader = csv.DictReader(lines)
    return [(n, row) for n, row in enumerate(reader, 1)]


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise DataError(path, "-", "-", "file missing")
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise DataError(path, "-", "-", f"not valid YAML: {exc}") from exc


def _flag(path: Path, n: int, row: dict[str, str], name: str) -> bool:
    value = row.get(name)
    if value not in ("0", "1"):
        raise DataError(path, n, name, f"expected 0 or 1, got {value!r}")
    return value == "1"


def _required(path: Path, n: int, row: dict[str, str], name: str) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        raise DataError(path, n, name, "empty")
    return value


def _load_entries(folder: Path, shortage: dict[str, int]) -> tuple[Entry, ...]:
    path = folder / "catalogue.csv"
    rows: list[tuple[int, str, int, str, str, dict[str, str]]] = []
    seen: set[tuple[str, int]] = set()
    for n, row in _read_csv(path):
        kind = _required(path, n, row, "kind")
        if kind not in KINDS:
            raise DataError(path, n, "kind", f"unknown kind {kind!r}")
        try:
            seq = int(row.get("seq") or "")
        except ValueError:
            raise DataError(path, n, "seq", f"not a number: {row.get('seq')!r}") from None
        if (kind, seq) in seen:
            raise DataError(path, n, "seq", f"duplicate {kind} seq {seq}")
        seen.add((kind, seq))
        category = (row.get("category") or "").strip()
        if kind != "training_certificate" and category not in ("A", "B", "C"):
            raise DataError(path, n, "category", f"expected A, B or C, got {category!r}")
        code = _required(path, n, row, "code")
        if not CODE_PATTERNS[kind].fullmatch(code):
            raise DataError(path, n, "code", f"{code!r} is not a {kind} code")
        rows.append((n, kind, seq, category, code, row))
    per_code = Counter((kind, code) for _, kind, _, _, code, _ in rows)
    entries = []
    keys: dict[str, int] = {}
    for n, kind, seq, category, code, row in rows:
        name = _required(path, n, row, "name")
        key = entry_key(kind, code, name, shared=per_code[kind, code] > 1)
        if key in keys:
            raise DataError(path, n, "name", f"same key {key!r} as row {keys[key]}")
        keys[key] = n
        entries.append(
            Entry(
                key=key,
                kind=kind,
                seq=seq,
                category=category,
                name=name,
                code=code,
                online_over_40=_flag(path, n, row, "online_over_40"),
                green=_flag(path, n, row, "green"),
                digital=_flag(path, n, row, "digital"),
                shortage=kind == "qualification" and code in shortage,
                shortage_seq=shortage.get(code) if kind == "qualification" else None,
                printed=row.get("printed") or "",
            )
        )
    return tuple(entries)


def _load_shortage(folder: Path) -> dict[str, int]:
    path = folder / "shortage.csv"
    out: dict[str, int] = {}
    for n, row in _read_csv(path):
        code = _required(path, n, row, "code")
        if not CODE_PATTERNS["qualification"].fullmatch(code):
            raise DataError(path, n, "code", f"{code!r} is not an occupation code")
        out[code] = int(_required(path, n, row, "seq"))
    return out


def _load_transitions(folder: Path) -> tuple[Transition, ...]:
    path = folder / "transition.csv"
    rows = []
    for n, row in _read_csv(path):
        current_code = _required(path, n, row, "current_code")
        if not re.fullmatch(r"\d{7}", current_code):
            raise DataError(path, n, "current_code", f"expected 7 digits, got {current_code!r}")
        rows.append(
            Transition(
                situation=_required(path, n, row, "situation"),
                current_category=_required(path, n, row, "current_category"),
                current_code=current_code,
                current_name=_required(path, n, row, "current_name"),
                legacy_category=(row.get("legacy_category") or "").strip(),
                legacy_code=_required(path, n, row, "legacy_code"),
                legacy_name=_required(path, n, row, "legacy_name"),
                note=row.get("note") or "",
            )
        )
    return tuple(rows)


def _check_bases(path: Path, bases: Any) -> None:
    if not isinstance(bases, dict):
        raise DataError(path, "-", "-", "expected a mapping")
    for section in (
        "certificate",
        "special_ability",
        "training_certificate",
        "entrepreneurship",
        "other",
        "appraisal",
        "levels",
    ):
        if section not in bases:
            raise DataError(path, section, section, "section missing")
    for cat, levels in bases["certificate"].items():
        for level in LEVELS:
            cell = levels.get(level)
            if not (isinstance(cell, list) and len(cell) == 2 and isinstance(cell[0], int)):
                raise DataError(
                    path, f"certificate.{cat}", level, f"expected [amount, hours], got {cell!r}"
                )


def _load_aliases(folder: Path, names: set[str]) -> dict[str, tuple[str, ...]]:
    path = folder / "aliases.yaml"
    raw = _read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise DataError(path, "-", "-", "expected a mapping of alias -> [names]")
    out: dict[str, tuple[str, ...]] = {}
    for alias, targets in raw.items():
        if not isinstance(targets, list) or not targets:
            raise DataError(path, alias, alias, "expected a non-empty list of catalogue names")
        for target in targets:
            if target not in names:
                raise DataError(path, alias, alias, f"{target!r} is not a catalogue name")
        out[str(alias).casefold()] = tuple(targets)
    return out


def _load_not_listed(folder: Path) -> tuple[str, ...]:
    path = folder / "not_listed.yaml"
    raw = _read_yaml(path) if path.exists() else []
    if not isinstance(raw, list) or not all(isinstance(t, str) and t for t in raw):
        raise DataError(path, "-", "-", "expected a list of names")
    return tuple(t.casefold() for t in raw)


def _check_rules(path: Path, rules: Any, year: str) -> None:
    """rules.yaml: its year is the folder's; notice, titles, rates and clauses are all there."""
    if not isinstance(rules, dict):
        raise DataError(path, "-", "-", "expected a mapping")
    if str(rules.get("year")) != year:
        raise DataError(
            path, "-", "year", f"says {rules.get('year')!r} but the folder is {year!r}"
        )
    for fld in ("notice", "title", "subject", "city"):
        if not isinstance(rules.get(fld), str) or not rules[fld].strip():
            raise DataError(path, "-", fld, "expected a non-empty text")
    attachments = rules.get("attachments")
    if not isinstance(attachments, dict) or not all(
        isinstance(v, str) and v for v in attachments.values()
    ):
        raise DataError(path, "-", "attachments", "expected a mapping 附件N: title")
    params = rules.get("parameters")
    if not isinstance(params, dict):
        raise DataError(path, "parameters", "parameters", "section missing")
    for name in INT_PARAMETERS:
        value = params.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DataError(path, "parameters", name, f"expected a whole number, got {value!r}")
    if params["minutes_per_class_hour"] == 0:
        raise DataError(path, "parameters", "minutes_per_class_hour", "must not be 0")
    levels = params.get("shortage_uplift_levels")
    if not isinstance(levels, list) or not all(lv in LEVELS for lv in levels):
        raise DataError(
            path, "parameters", "shortage_uplift_levels", f"expected levels, got {levels!r}"
        )
    clauses = rules.get("clauses")
    if not isinstance(clauses, dict):
        raise DataError(path, "clauses", "clauses", "section missing")
    for clause_id, clause in clauses.items():
        for fld in ("cite", "text"):
            if not isinstance(clause, dict) or not isinstance(clause.get(fld), str):
                raise DataError(path, f"clauses.{clause_id}", fld, "expected a text")


def year_folders(root: Path) -> dict[str, Path]:
    """The ``<year>/`` folders directly inside ``root``, by year, oldest first."""
    if not root.is_dir():
        raise DataError(root, "-", "-", "not a directory")
    return {
        p.name: p for p in sorted(root.iterdir()) if p.is_dir() and YEAR_FOLDER.fullmatch(p.name)
    }


def load(year: str | None = None, *, root: Path = DATA_DIR) -> Knowledge:
    """Load and validate the data of one policy year in ``root`` (cached); default: the latest.

    ``root`` defaults to the packaged ``knowledge/data``.
    """
    folders = year_folders(root)
    if year is None:
        if not folders:
            raise DataError(root, "-", "-", "no <year>/ folder")
        year = max(folders)
    if year not in folders:
        raise DataError(root / year, "-", "-", f"no data for policy year {year!r}")
    return load_cached(folders[year])


@cache
def _load_resolved(folder: Path) -> Knowledge:
    return load_from(folder)


def load_cached(folder: Path) -> Knowledge:
    """:func:`load_from`, parsed once per folder."""
    return _load_resolved(folder.resolve())


def load_from(folder: Path) -> Knowledge:
    """Load and validate the data files in ``folder``, named after its policy year (not cached)."""
    year = folder.name
    if not YEAR_FOLDER.fullmatch(year):
        raise DataError(folder, "-", "-", "the folder's name must be its policy year, e.g. 2025")
    shortage = _load_shortage(folder)
    entries = _load_entries(folder, shortage)
    codes = {e.code for e in entries}
    for code in shortage:
        if code not in codes:
            raise DataError(folder / "shortage.csv", code, "code", "not in catalogue.csv")
    bases = _read_yaml(folder / "subsidy_bases.yaml")
    _check_bases(folder / "subsidy_bases.yaml", bases)
    rules = _read_yaml(folder / "rules.yaml")
    _check_rules(folder / "rules.yaml", rules, year)
    knowledge = Knowledge(
        year=year,
        entries=entries,
        transitions=_load_transitions(folder),
        bases=bases,
        rules=rules,
        entrepreneurship=_read_yaml(folder / "entrepreneurship.yaml"),
        aliases=_load_aliases(folder, {e.name for e in entries}),
        aliases_none=_load_not_listed(folder),
    )
    for entry in entries:
        knowledge.by_key[entry.key] = entry
        knowledge.by_code[entry.code] = (*knowledge.by_code.get(entry.code, ()), entry)
        knowledge.by_name.setdefault(entry.name, entry)
    return knowledge


# Deprecated: the latest packaged year; use knowledge.policies.load_all().latest instead.
DEFAULT_YEAR = max(year_folders(DATA_DIR))
