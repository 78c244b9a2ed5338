"""The declarative import mapping (seed/mapping.toml): file -> filters -> column -> metric, and the
metrics derived at import from other metrics of the same row (``[[derived]]``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from exchange.errors import InvalidInput


@dataclass(frozen=True)
class FileMapping:
    name: str
    format: str  # "ees" | "tidy"
    source: str
    columns: dict[str, str]  # indicator column -> metric code
    filters: dict[str, str] = field(default_factory=dict)
    period_column: str | None = None
    period_kind: str | None = None
    la_column: str | None = None
    # Columns the file writes twice: each row must hold the same figure in both.
    repeated_columns: frozenset[str] = frozenset()
    # Metrics of this file whose figures may be negative (a balance: negative = deficit).
    signed: frozenset[str] = frozenset()
    derived: tuple[Derived, ...] = ()  # in the order they are computed
    # Metrics also imported from the file's breakdown rows (every row the filters on
    # breakdown_topic and breakdown leave out), kept apart from the totals.
    breakdown_metrics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Derived:
    """A metric computed from other metrics of the same row: ``scale x numerator / denominator``
    (a share or rate, when ``denominator`` is set) or the sum of ``inputs`` (a count)."""

    metric: str
    inputs: tuple[str, ...]  # share: (numerator, denominator); sum: the metrics added
    denominator: str | None = None
    scale: float = 1.0

    @property
    def numerator(self) -> str | None:
        return self.inputs[0] if self.denominator is not None else None


@dataclass(frozen=True)
class ImportMapping:
    files: dict[str, FileMapping]
    former_authorities: dict[str, str]

    def derived(self) -> list[Derived]:
        return [d for f in self.files.values() for d in f.derived]

    def for_file(self, path: Path) -> FileMapping:
        try:
            return self.files[path.name]
        except KeyError:
            known = ", ".join(sorted(self.files))
            raise InvalidInput(
                "path",
                f"no mapping for '{path.name}': the mapping knows {known}. "
                "Pass --mapping FILE with an entry for this file.",
            ) from None

    def metric_codes(self) -> set[str]:
        return {code for f in self.files.values() for code in f.columns.values()} | {
            d.metric for d in self.derived()
        }


def _breakdown_metrics(entry: dict[str, Any], where: str) -> list[str]:
    wanted = _names(entry.get("breakdown_metrics", []), where)
    unknown = sorted(set(wanted) - set(dict(entry["columns"]).values()))
    if unknown:
        raise InvalidInput(
            "mapping", f"{where}: breakdown_metrics {', '.join(unknown)} are not columns of it"
        )
    if wanted and entry.get("format", "ees") != "ees":
        raise InvalidInput("mapping", f"{where}: only EES files have breakdown rows")
    return wanted


def load_mapping(path: Path) -> ImportMapping:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInput("mapping", f"{path}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("mapping", f"{path}: not valid TOML ({exc})") from exc
    files: dict[str, FileMapping] = {}
    for i, entry in enumerate(raw.get("file", [])):
        where = f"{path.name}: file entry {i + 1}"
        if not isinstance(entry.get("name"), str):
            raise InvalidInput("mapping", f"{where}: 'name' (the file's name) is missing")
        fmt = entry.get("format", "ees")
        if fmt not in ("ees", "tidy"):
            raise InvalidInput("mapping", f"{where}: format must be 'ees' or 'tidy', got {fmt!r}")
        if not entry.get("columns"):
            raise InvalidInput("mapping", f"{where}: 'columns' maps no indicator to a metric")
        if fmt == "tidy" and not (entry.get("period_column") and entry.get("period_kind")):
            raise InvalidInput("mapping", f"{where}: tidy files need period_column and period_kind")
        files[entry["name"]] = FileMapping(
            name=entry["name"],
            format=fmt,
            source=entry.get("source", entry["name"]),
            columns=dict(entry["columns"]),
            filters=dict(entry.get("filters", {})),
            period_column=entry.get("period_column"),
            period_kind=entry.get("period_kind"),
            la_column=entry.get("la_column", "la_code"),
            repeated_columns=frozenset(_names(entry.get("repeated_columns", []), where)),
            signed=frozenset(_names(entry.get("signed", []), where)),
            breakdown_metrics=frozenset(_breakdown_metrics(entry, where)),
        )
    derived: dict[str, list[Derived]] = {}
    for i, entry in enumerate(raw.get("derived", [])):
        where = f"{path.name}: derived entry {i + 1} ({entry.get('metric', 'no metric')})"
        fm = files.get(entry.get("file", ""))
        if fm is None:
            raise InvalidInput("mapping", f"{where}: 'file' must name a file entry of the mapping")
        known = set(fm.columns.values()) | {d.metric for d in derived.get(fm.name, [])}
        derived.setdefault(fm.name, []).append(_derived(entry, where, known))
    for name, entries in derived.items():
        files[name] = replace(files[name], derived=tuple(entries))
    return ImportMapping(files=files, former_authorities=dict(raw.get("former_authorities", {})))


def _names(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("mapping", f"{where}: expected a list of names, got {value!r}")
    return value


def _derived(entry: dict[str, object], where: str, known: set[str]) -> Derived:
    """One [[derived]] entry, checked: its inputs are metrics of the same file (mapped columns or
    derived metrics declared before it), and it is either a share or a sum."""
    metric = entry.get("metric")
    if not isinstance(metric, str) or not metric:
        raise InvalidInput("mapping", f"{where}: 'metric' (the derived metric's code) is missing")
    if metric in known:
        raise InvalidInput("mapping", f"{where}: {metric} is already a metric of the file")
    share, summed = entry.get("share"), entry.get("sum")
    if (share is None) == (summed is None):
        raise InvalidInput("mapping", f"{where}: give either 'share' or 'sum'")
    if isinstance(share, dict):
        numerator, denominator = share.get("numerator"), share.get("denominator")
        scale = share.get("scale", 1)
        if not isinstance(numerator, str) or not isinstance(denominator, str):
            raise InvalidInput("mapping", f"{where}: a share needs a numerator and a denominator")
        if not isinstance(scale, int | float) or isinstance(scale, bool) or scale <= 0:
            raise InvalidInput("mapping", f"{where}: scale must be a positive number")
        d = Derived(metric, (numerator, denominator), denominator, float(scale))
    elif share is not None:
        raise InvalidInput("mapping", f"{where}: 'share' must be a table")
    else:
        inputs = _names(summed, where)
        if len(inputs) < 2:
            raise InvalidInput("mapping", f"{where}: a sum adds at least two metrics")
        d = Derived(metric, tuple(inputs))
    unknown = sorted(set(d.inputs) - known)
    if unknown:
        raise InvalidInput(
            "mapping",
            f"{where}: {', '.join(unknown)} not a metric of {entry.get('file')} (a derived metric "
            "uses the file's mapped columns or derived metrics declared before it)",
        )
    return d
