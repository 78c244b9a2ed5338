"""Extra first-run steps (demo data, search index) wired by the composition root."""

from __future__ import annotations

from rich.console import Console

from exchange.settings import Settings


async def after_init(settings: Settings, console: Console) -> None:
    return None
