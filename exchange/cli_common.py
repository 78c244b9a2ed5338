"""What the ``exchange`` command's modules share: the consoles, running a coroutine with the
settings (and turning domain and database errors into a message and an exit status), the progress
bar. Part of the composition root, like exchange/cli.py."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import OperationalError, ProgrammingError

from exchange.errors import DomainError
from exchange.settings import Settings

console = Console(stderr=False)
err = Console(stderr=True)
T = TypeVar("T")


def run(fn: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    settings = Settings.from_env()
    try:
        return asyncio.run(fn(settings))
    except DomainError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")  # text, never markup
        sys.exit(2)
    except (OperationalError, ProgrammingError) as exc:
        # Almost always a database that was never migrated, or one that is unreachable.
        err.print(
            f"[red]error:[/red] the {settings.database_url.split('://')[0]} database is not "
            f"ready ({type(exc.orig).__name__}). Run `exchange init` first, "
            "or check EXCHANGE_DATABASE_URL."
        )
        sys.exit(1)


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )
