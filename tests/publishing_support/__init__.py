"""Helpers shared by the publishing, token, pseudonym and peer-group tests."""

from __future__ import annotations

from typing import Any

from exchange.db import transaction
from exchange.publishing import service as publishing
from exchange.publishing.retry import with_retries
from exchange.publishing.service import PublishResult, RowInput
from exchange.tokens import service as tokens
from exchange.viewer import Viewer
from tests.conftest import Database


async def make_token(
    db: Database, role: str = "publisher", authority: str | None = "869", **kw: Any
) -> tuple[Viewer, str]:
    """A real token in the database: (its viewer, its secret)."""
    async with transaction(db.sessions) as s:
        created = await tokens.create_token(
            s, role=role, authority_code=authority if role == "publisher" else None, **kw
        )
    async with db.sessions() as s:
        viewer = await tokens.authenticate_token(s, created.secret)
        await s.commit()
    assert viewer is not None
    return viewer, created.secret


def row(metric: str, period: str, value: Any = None, **kw: Any) -> RowInput:
    return RowInput(metric=metric, period=period, value=value, **kw)


async def publish(
    db: Database,
    viewer: Viewer,
    rows: list[RowInput],
    *,
    visibility: str = "members",
    pseudonymous: bool = False,
) -> PublishResult:
    async def work(session: Any) -> PublishResult:
        return await publishing.publish(
            session, viewer, rows, visibility=visibility, pseudonymous=pseudonymous
        )

    return await with_retries(lambda: transaction(db.sessions), work)
