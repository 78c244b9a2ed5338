"""First-run loading: reference data, the metric catalogue and the shipped real DfE files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exchange.db import transaction
from exchange.importer.mapping import load_mapping
from exchange.importer.service import ImportSummary, import_files
from seed import paths, reference


@dataclass
class InitSummary:
    authorities_created: int
    neighbours_created: int
    metrics_created: int
    imported: ImportSummary


async def load_reference(session: AsyncSession) -> tuple[int, int, int]:
    return (
        await reference.load_authorities(session),
        await reference.load_neighbours(session),
        await reference.load_metrics(session),
    )


async def initialise(
    factory: async_sessionmaker[AsyncSession], progress: Callable[[int], None] | None = None
) -> InitSummary:
    async with transaction(factory) as session:
        a, n, m = await load_reference(session)
    async with transaction(factory) as session:
        summary = await import_files(
            session,
            paths.SHIPPED_FILES,
            load_mapping(paths.MAPPING),
            progress=progress,
            created_by="exchange init",
        )
    return InitSummary(a, n, m, summary)


def shipped_row_count() -> int:
    """Rows in the shipped files, for a progress bar's total."""
    total = 0
    for path in paths.SHIPPED_FILES:
        with path.open("rb") as handle:
            total += sum(1 for _ in handle) - 1
    return total
