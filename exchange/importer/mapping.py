"""The declarative import mapping (seed/mapping.toml): file -> filters -> column -> metric."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(frozen=True)
class ImportMapping:
    files: dict[str, FileMapping]
    former_authorities: dict[str, str]

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
        return {code for f in self.files.values() for code in f.columns.values()}


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
        )
    return ImportMapping(files=files, former_authorities=dict(raw.get("former_authorities", {})))
