"""Load the 153 authorities, their statistical neighbours and the metric catalogue (idempotent)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.authorities.models import Authority, StatisticalNeighbour
from exchange.casestudies import vocab
from exchange.errors import InvalidInput
from exchange.metrics.models import DISCLOSURE_RULES, PERIOD_KINDS, POLARITIES, UNITS, Metric
from seed import paths

# The polarity rule (docs/metrics.md): a count, an amount in £ or a number of staff grows with
# the authority's size, so it is never ranked better or worse (polarity "neutral").
SIZE_UNITS = ("count", "gbp", "fte")
THEME_CODES = frozenset(t.code for t in vocab.THEMES)

_TYPES = {
    "County": "county",
    "Unitary authority": "unitary",
    "Metropolitan district": "metropolitan_district",
    "London borough": "london_borough",
}


def _upsert(session: AsyncSession, model: type[Any], current: Any, values: dict[str, Any]) -> int:
    """Add a row with these values, or bring the existing one up to them; 1 when it was added."""
    if current is None:
        session.add(model(**values))
        return 1
    for key, value in values.items():
        setattr(current, key, value)
    return 0


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def load_authorities(session: AsyncSession, path: Path = paths.LA_LOOKUP) -> int:
    existing = {a.la_code: a for a in (await session.execute(select(Authority))).scalars()}
    created = 0
    for line, row in enumerate(_read(path), start=2):
        la_type = _TYPES.get(row["la_type"])
        if la_type is None:
            raise InvalidInput(
                "la_type", f"{path.name} line {line}: unknown type {row['la_type']!r}"
            )
        values = {
            "la_code": row["la_code"],
            "gss_code": row["gss_code_current"],
            "gss_code_dfe": row["gss_code_dfe"],
            "name": row["la_name"],
            "region_code": row["region_code"],
            "region_name": row["region_name"],
            "type": la_type,
        }
        created += _upsert(session, Authority, existing.get(row["la_code"]), values)
    await session.flush()
    return created


async def load_neighbours(session: AsyncSession, path: Path = paths.NEIGHBOURS) -> int:
    ids = {a.la_code: a.id for a in (await session.execute(select(Authority))).scalars()}
    existing = {
        (n.authority_id, n.rank): n
        for n in (await session.execute(select(StatisticalNeighbour))).scalars()
    }
    created = 0
    for line, row in enumerate(_read(path), start=2):
        try:
            subject, neighbour = ids[row["la_code"]], ids[row["sn_la_code"]]
        except KeyError as exc:
            raise InvalidInput(
                "la_code", f"{path.name} line {line}: unknown LA code {exc.args[0]}"
            ) from None
        rank = int(row["rank"])
        values = {
            "authority_id": subject,
            "neighbour_id": neighbour,
            "rank": rank,
            "proximity": row["proximity"],
        }
        created += _upsert(session, StatisticalNeighbour, existing.get((subject, rank)), values)
    await session.flush()
    return created


def read_catalogue(path: Path = paths.METRICS) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["metric"]
    for e in entries:
        where = f"{path.name}: metric {e.get('code')!r}"
        for key, allowed in (
            ("unit", UNITS),
            ("polarity", POLARITIES),
            ("period_kind", PERIOD_KINDS),
            ("disclosure_rule", DISCLOSURE_RULES),
        ):
            if e.get(key) not in allowed:
                raise InvalidInput(key, f"{where}: {key} must be one of {', '.join(allowed)}")
        if e.get("theme") not in THEME_CODES:
            raise InvalidInput(
                "theme", f"{where}: theme must be one of {', '.join(sorted(THEME_CODES))}"
            )
        if e["unit"] in SIZE_UNITS and e["polarity"] != "neutral":
            raise InvalidInput(
                "polarity",
                f"{where}: a {e['unit']} metric grows with the authority's size and is never "
                f"better or worse, so its polarity must be 'neutral', not {e['polarity']!r}: only "
                "shares, rates and timeliness (unit percent or rate) carry polarity. Give it a "
                "share or rate metric (numerator_code, denominator_code) to compare instead.",
            )
    codes = [e["code"] for e in entries]
    if len(set(codes)) != len(codes):
        twice = sorted({c for c in codes if codes.count(c) > 1})
        raise InvalidInput("code", f"{path.name}: metric code(s) {', '.join(twice)} given twice")
    return entries


async def load_metrics(session: AsyncSession, path: Path = paths.METRICS) -> int:
    existing = {m.code: m for m in (await session.execute(select(Metric))).scalars()}
    created = 0
    for e in read_catalogue(path):
        values = {
            "code": e["code"],
            "name": e["name"],
            "description": e["description"],
            "unit": e["unit"],
            "polarity": e["polarity"],
            "theme": e["theme"],
            "source": e["source"],
            "period_kind": e["period_kind"],
            "disclosure_rule": e.get("disclosure_rule", "count"),
            "disclosure_threshold": int(e.get("disclosure_threshold", 5)),
            "numerator_code": e.get("numerator_code"),
            "denominator_code": e.get("denominator_code"),
            "self_reported": bool(e.get("self_reported", False)),
            "on_dashboard": bool(e.get("dashboard", False)),
        }
        created += _upsert(session, Metric, existing.get(e["code"]), values)
    await session.flush()
    return created
