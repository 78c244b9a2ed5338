"""The catalogue table of docs/metrics.md, written from seed/metrics.toml and seed/mapping.toml
(``python -m seed.catalogue_doc`` rewrites it; tests/core/test_catalogue_release.py fails when
the page and the files disagree)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from seed import paths
from seed.reference import read_catalogue

DOC = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"
BEGIN = "<!-- catalogue: written by python -m seed.catalogue_doc -->"
END = "<!-- end of catalogue -->"


def _where_from() -> dict[str, str]:
    """Each metric's origin, in words: its file and column, or how it is derived."""
    mapping = tomllib.loads(paths.MAPPING.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for f in mapping["file"]:
        for column, metric in f["columns"].items():
            found[metric] = f"{f['name']} `{column}`"
    for d in mapping.get("derived", []):
        if "sum" in d:
            found[d["metric"]] = "sum of " + " + ".join(f"`{c}`" for c in d["sum"])
        else:
            share = d["share"]
            scale = share.get("scale", 1)
            found[d["metric"]] = (
                f"{scale:g} × `{share['numerator']}` ÷ `{share['denominator']}`"
                if scale != 1
                else f"`{share['numerator']}` ÷ `{share['denominator']}`"
            )
    return found


def table() -> str:
    origin = _where_from()
    lines = [
        "| code | from | unit | polarity | period | on the dashboard |",
        "|---|---|---|---|---|---|",
    ]
    for m in read_catalogue():
        source = origin.get(m["code"], "published by councils (self-reported)")
        lines.append(
            f"| `{m['code']}` | {source} | {m['unit']} | {m['polarity'].replace('_', ' ')} | "
            f"{m['period_kind']} | {'yes' if m.get('dashboard') else ''} |"
        )
    return "\n".join(lines)


def written(text: str) -> str:
    """``text`` (the page) with its catalogue table replaced by the current one."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    DOC.write_text(written(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the catalogue table of {DOC}")
