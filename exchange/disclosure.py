"""Disclosure control: what value (or symbol) a viewer may see for one observation.

Every read path goes through ``disclose``; aggregates are computed from its output only, so no
aggregate, rank or count can reveal a value a viewer may not see.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.metrics.models import Metric
from exchange.observations.models import Observation
from exchange.viewer import Viewer

NOT_AVAILABLE = "x"
CONFIDENTIAL = "c"


@dataclass(frozen=True)
class Disclosed:
    value: float | None
    symbol: str | None
    flags: str = ""

    @property
    def is_disclosed(self) -> bool:
        return self.value is not None


MISSING = Disclosed(None, NOT_AVAILABLE)


def can_see(obs: Observation, viewer: Viewer) -> bool:
    """Members-only rows do not exist for anonymous viewers: they look exactly like no row."""
    if obs.withdrawn:
        return False
    return obs.visibility == "public" or viewer.is_member or viewer.owns(obs.authority_id)


def disclose(
    obs: Observation | None,
    metric: Metric,
    viewer: Viewer,
    numerator: Observation | None = None,
) -> Disclosed:
    if obs is None or not can_see(obs, viewer):
        return MISSING
    if obs.value is None:
        return Disclosed(None, obs.symbol or NOT_AVAILABLE, obs.flags)
    if viewer.owns(obs.authority_id) and metric.self_reported:
        return Disclosed(obs.value, obs.symbol, obs.flags)
    if numerator is not None and not _usable_numerator(obs, numerator, viewer):
        numerator = None
    if is_small_number(obs, metric, numerator):
        return Disclosed(None, CONFIDENTIAL, obs.flags)
    return Disclosed(obs.value, obs.symbol, obs.flags)


def _usable_numerator(obs: Observation, numerator: Observation, viewer: Viewer) -> bool:
    """A numerator decides a rate's suppression only when the viewer could see it too, and it is
    published the same way (named or pseudonymous): otherwise whether the rate is shown would say
    something about a figure the viewer may not see, or link a pseudonym to a named figure.
    An unusable numerator counts as unknown, and an unknown numerator suppresses the rate."""
    return can_see(numerator, viewer) and numerator.pseudonymous == obs.pseudonymous


def is_small_number(obs: Observation, metric: Metric, numerator: Observation | None) -> bool:
    threshold = metric.disclosure_threshold
    if metric.disclosure_rule == "count":
        return obs.value is not None and obs.value < threshold
    if metric.disclosure_rule == "rate":
        # A rate is only as safe as its numerator: unknown numerator counts as small.
        if numerator is None or numerator.value is None:
            return True
        return numerator.value < threshold
    return False
