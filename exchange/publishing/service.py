"""Councils publish their own figures: validate a whole batch, then store all of it or none of it.

Every bad row is reported (index, CSV line when there is one, field, code, message: see
exchange.publishing.validation) and nothing is written unless every row is good. A publisher
writes only for its own authority and only self-reported metrics (DfE statistics come from DfE).
Re-publishing a changed figure adds a revision; an unchanged one is left alone; a withdrawal is a
revision too. Every write is audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.audit import service as audit
from exchange.authorities.models import Authority
from exchange.errors import InvalidInput, NotFound
from exchange.metrics import repository as metrics
from exchange.metrics.models import Metric
from exchange.observations import rates
from exchange.observations import repository as observations
from exchange.observations.models import VISIBILITIES, Observation
from exchange.periods import repository as periods
from exchange.periods.labels import PeriodKey
from exchange.publishing import consistency
from exchange.publishing.errors import PublishErrorCode
from exchange.publishing.rows import RowError, RowInput, ValidRow
from exchange.publishing.validation import MAX_ROWS, require_publisher, validate
from exchange.tokens import scopes
from exchange.tokens.scopes import Scope
from exchange.viewer import Viewer

# The publishing entry point: the rows, validate and its limits are handed on for callers that
# know this module only (exchange/cli.py, the tests).
__all__ = [
    "MAX_ROWS",
    "PublishResult",
    "RowError",
    "RowInput",
    "publish",
    "require_publisher",
    "source_for",
    "validate",
    "withdraw",
]


@dataclass
class PublishResult:
    observations: list[Observation] = field(default_factory=list)
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _state(metric: Metric, period: PeriodKey, la_code: str, vals: dict[str, Any]) -> dict[str, Any]:
    return {
        "metric": metric.code,
        "period": period.label,
        "authority": la_code,
        "value": vals.get("value"),
        "symbol": vals.get("symbol"),
        "flags": vals.get("flags", ""),
        "visibility": vals.get("visibility"),
        "pseudonymous": vals.get("pseudonymous"),
        "withdrawn": vals.get("withdrawn", False),
        "is_demo": vals.get("is_demo", False),
        "revision": vals.get("revision"),
    }


def _obs_vals(o: Observation) -> dict[str, Any]:
    return {
        "value": o.value,
        "symbol": o.symbol,
        "flags": o.flags,
        "visibility": o.visibility,
        "pseudonymous": o.pseudonymous,
        "withdrawn": o.withdrawn,
        "is_demo": o.is_demo,
        "revision": o.revision,
    }


def source_for(authority: Authority) -> str:
    return f"Published by the authority ({authority.name}) to DBV Exchange"


async def publish(
    session: AsyncSession,
    viewer: Viewer,
    rows: Sequence[RowInput],
    *,
    visibility: str = "members",
    pseudonymous: bool = False,
    max_rows: int | None = MAX_ROWS,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> PublishResult:
    """Validate every row; when all are good, store them in the caller's transaction."""
    if visibility not in VISIBILITIES:
        raise InvalidInput("visibility", f"visibility is one of {', '.join(VISIBILITIES)}")
    valid, errors, own = await validate(
        session, viewer, rows, pseudonymous=pseudonymous, max_rows=max_rows, now=now
    )
    if errors:
        return PublishResult(errors=errors)
    stamp = now or observations.now()
    catalogue = await consistency.catalogue(session)  # before any write: from the cache
    period_rows = await periods.ensure(session, {v.period for v in valid})
    current = await consistency.stored(session, own.id, valid, lock=True)
    created_by = f"token:{viewer.token_id}"
    source = (
        "Published pseudonymously by an authority to DBV Exchange"
        if pseudonymous
        else source_for(own)
    )
    new_rows: list[dict[str, Any]] = []
    new_meta: list[ValidRow] = []
    changes: list[tuple[int, int, dict[str, Any]]] = []
    result = PublishResult()
    changes_audit: list[audit.Change] = []
    touched: list[int] = []
    for v in valid:
        vals = {
            "value": v.value,
            "symbol": v.symbol,
            "flags": v.flags,
            "source": source,
            "visibility": visibility,
            "pseudonymous": pseudonymous,
            "withdrawn": False,
            "is_demo": False,
            "updated_at": stamp,
            "created_by": created_by,
        }
        existing = current.get((v.metric.code, v.period))
        if existing is None:
            new_rows.append(
                {
                    "metric_id": v.metric.id,
                    "period_id": period_rows[v.period].id,
                    "area_level": "local_authority",
                    "area_code": own.la_code,
                    "authority_id": own.id,
                    "revision": 1,
                    **{k: val for k, val in vals.items() if k != "created_by"},
                }
            )
            new_meta.append(v)
        elif _same(existing, vals):
            result.unchanged += 1
            touched.append(existing.id)
        else:
            revision = existing.revision + 1
            changes.append((existing.id, revision, vals))
            changes_audit.append(
                audit.Change(
                    "observation.publish",
                    "observation",
                    existing.public_id,
                    _state(v.metric, v.period, own.la_code, _obs_vals(existing)),
                    _state(v.metric, v.period, own.la_code, {**vals, "revision": revision}),
                )
            )
            touched.append(existing.id)
        if progress is not None:
            progress(1)
    new_ids = await observations.insert_new(session, new_rows, created_by)
    await observations.add_revisions(session, changes)
    written = await observations.get_many(session, [*new_ids, *(oid for oid, _, _ in changes)])
    await rates.record_written(session, written, catalogue)
    by_id = {o.id: o for o in await observations.get_many(session, [*new_ids, *touched])}
    for oid, v in zip(new_ids, new_meta, strict=True):
        changes_audit.append(
            audit.Change(
                "observation.publish",
                "observation",
                by_id[oid].public_id,
                None,
                _state(v.metric, v.period, own.la_code, _obs_vals(by_id[oid])),
            )
        )
    await audit.record(session, audit.actor_of(viewer), changes_audit)
    result.created = len(new_ids)
    result.revised = len(changes)
    order = {**{oid: i for i, oid in enumerate(new_ids)}}
    result.observations = sorted(
        by_id.values(), key=lambda o: (order.get(o.id, len(order)), o.metric_id, o.period_id)
    )
    return result


def _same(existing: Observation, vals: dict[str, Any]) -> bool:
    return (
        not existing.withdrawn
        and existing.value == vals["value"]
        and existing.symbol == vals["symbol"]
        and (existing.flags or "") == vals["flags"]
        and existing.visibility == vals["visibility"]
        and existing.pseudonymous == vals["pseudonymous"]
    )


async def withdraw(session: AsyncSession, viewer: Viewer, public_id: str) -> Observation:
    """Withdraw a figure: a new revision that takes it off every read path.

    Anyone but its publisher (or an administrator moderating) gets the same NotFound as for an id
    that does not exist, so the answer says nothing about who published it."""
    scopes.require(
        viewer, Scope.OBSERVATIONS_PUBLISH, Scope.OBSERVATIONS_MODERATE, to="withdraw figures"
    )
    missing = NotFound("no observation you can withdraw has this id", field="id")
    found = await observations.get_by_public_id(session, public_id)
    if found is None:
        raise missing
    metric = (await metrics.get_many(session, [found.metric_id]))[found.metric_id]
    owner = viewer.owns(found.authority_id) and scopes.has(viewer, Scope.OBSERVATIONS_PUBLISH)
    moderator = scopes.has(viewer, Scope.OBSERVATIONS_MODERATE)
    if not metric.self_reported or not (owner or moderator):
        raise missing
    locked = await observations.for_authority_series(
        session,
        found.authority_id or 0,
        [found.metric_id],
        [found.period_id],
        lock=True,
        demo=found.is_demo,
    )
    obs = locked.get((found.metric_id, found.period_id))
    if obs is None:
        raise missing
    if obs.withdrawn:
        raise InvalidInput(
            "id", "this figure is already withdrawn", PublishErrorCode.ALREADY_WITHDRAWN
        )
    period = (await periods.get_many(session, [obs.period_id]))[obs.period_id]
    key = PeriodKey(period.kind, period.start_year)
    before = _state(metric, key, obs.area_code, _obs_vals(obs))
    stamp = observations.now()
    vals = {
        "value": None,
        "symbol": "x",
        "flags": "",
        "source": obs.source,
        "visibility": obs.visibility,
        "pseudonymous": obs.pseudonymous,
        "withdrawn": True,
        "is_demo": obs.is_demo,
        "updated_at": stamp,
        "created_by": f"token:{viewer.token_id}",
    }
    revision = obs.revision + 1
    await observations.add_revisions(session, [(obs.id, revision, vals)])
    await rates.record_written(session, await observations.get_many(session, [obs.id]))
    await audit.record(
        session,
        audit.actor_of(viewer),
        [
            audit.Change(
                "observation.withdraw",
                "observation",
                obs.public_id,
                before,
                _state(metric, key, obs.area_code, {**vals, "revision": revision}),
            )
        ],
    )
    refreshed = await observations.get_many(session, [obs.id])
    return refreshed[0]
