"""How a pseudonymous publisher is shown: a label and the descriptors that keep k ≥ 5 candidates."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

import strawberry

from exchange import pseudonyms
from schema.context import Info
from schema.enums import AuthorityType


@lru_cache(maxsize=8)
def _for_settings(secret: str, release_seconds: int) -> pseudonyms.Pseudonymiser:
    schedule = pseudonyms.ReleaseSchedule(timedelta(seconds=max(0, release_seconds)))
    return pseudonyms.Pseudonymiser(secret, schedule)


def pseudonymiser(info: Info) -> pseudonyms.Pseudonymiser:
    settings = info.context.settings
    return _for_settings(settings.secret_key, settings.pseudonym_release_seconds)


@strawberry.type(
    description=(
        "A pseudonymous publisher: a stable label (keyed with the server secret) and only the "
        "descriptors that at least 5 authorities share. The authority itself is never shown."
    )
)
class Pseudonym:
    model: strawberry.Private[pseudonyms.Pseudonym]

    @strawberry.field(description="e.g. 'Authority 7KQ2MX'. Stable across metrics and years.")
    def label(self) -> str:
        return self.model.label

    @strawberry.field(description="The region, when shown; null when withheld.")
    def region(self) -> str | None:
        return self.model.descriptor.region_name

    @strawberry.field(
        description="The authority type, when shown (only where every type in the region has "
        "at least 5 authorities); null when withheld."
    )
    def type(self) -> AuthorityType | None:
        t = self.model.descriptor.type
        return AuthorityType(t) if t else None

    @strawberry.field(description="The descriptors as text, e.g. 'London, London borough'.")
    def description(self) -> str:
        return self.model.descriptor.text
