"""Pseudonyms: a stable label per authority, the descriptors it may show, and the rule that decides
whether a pseudonymous publisher's figures can be shown at all.

Everything here is pure (no database), so observations, comparisons and case studies share it.

- ``Pseudonymiser(secret).code(la_code)``: an HMAC of the DfE code keyed with the server secret
  (``EXCHANGE_SECRET_KEY``); without the secret nobody can compute or test a guess. Demo data
  gets labels of its own (``demo=True``): the demo generators are public code, so anyone can work
  out which authority a demo label stands for, and that must say nothing about the label under
  which the same authority publishes real figures.
- ``descriptors(authorities)``: which of region and authority type a pseudonymous entry may show.
  The rule is decided per region from public reference data only (never from the authority's own
  cell), so the choice of descriptor says nothing more than the descriptor itself.
- ``visible_owners(candidates)``: a publisher's pseudonymous figures are shown only when at least
  ``K`` authorities could have published them, given everything a viewer can see (see
  docs/publishing.md, "Honest limits").
- ``ReleaseSchedule``: real pseudonymous figures are not shown the moment they are published but
  at the next release time (daily by default), all of that day's together, and every time shown
  for them is the release time: the moment a label appears or changes never lines up with a
  change to a named series.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

K = 5  # minimum number of candidate authorities behind any pseudonymous label
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: readable over the phone
_CODE_LENGTH = 6
LABEL_PREFIX = "Authority"
TYPE_NAMES = {
    "county": "county",
    "unitary": "unitary authority",
    "metropolitan_district": "metropolitan district",
    "london_borough": "London borough",
}


class AuthorityLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def la_code(self) -> str: ...
    @property
    def region_code(self) -> str: ...
    @property
    def region_name(self) -> str: ...
    @property
    def type(self) -> str: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


DAILY = timedelta(days=1)


@dataclass(frozen=True)
class ReleaseSchedule:
    """When real pseudonymous figures (new ones and revisions) become visible to others.

    Release times are the multiples of ``every`` since the Unix epoch (midnight UTC for the
    daily default). A figure published at t is released at the first release time at or after t.
    ``every`` of zero releases at once: for tests and try-outs only, because then the moment a
    label appears can be lined up with a council's other changes.
    """

    every: timedelta = DAILY
    clock: Callable[[], datetime] = field(default=_utcnow, compare=False)

    def last_release(self) -> datetime:
        """The latest release time not after now: what is released is what was published by it."""
        if self.every <= timedelta(0):
            return datetime.max.replace(tzinfo=UTC)  # everything published is released
        now = self.clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        step = self.every.total_seconds()
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return epoch + timedelta(seconds=(now - epoch).total_seconds() // step * step)

    def release_of(self, published: datetime) -> datetime:
        """The release time of something published at ``published`` (the time shown for it)."""
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        if self.every <= timedelta(0):
            return published
        step = self.every.total_seconds()
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        seconds = (published - epoch).total_seconds()
        ticks = -(-seconds // step)  # ceiling
        return epoch + timedelta(seconds=ticks * step)


class Pseudonymiser:
    """Stable pseudonyms keyed with the server secret (domain-separated from ID signing), and the
    schedule on which real pseudonymous figures are released."""

    def __init__(self, secret: str, release: ReleaseSchedule | None = None) -> None:
        if not secret:
            raise ValueError("a pseudonymiser needs the server secret")
        self._key = hashlib.sha256(("pseudonym:" + secret).encode()).digest()
        self.release = release or ReleaseSchedule()

    def code(self, la_code: str, *, demo: bool = False) -> str:
        message = ("demo:" if demo else "") + la_code.strip()
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).digest()
        n = int.from_bytes(digest[:8], "big")
        chars = []
        for _ in range(_CODE_LENGTH):
            n, r = divmod(n, len(_ALPHABET))
            chars.append(_ALPHABET[r])
        return "".join(chars)

    def label(self, la_code: str, *, demo: bool = False) -> str:
        return f"{LABEL_PREFIX} {self.code(la_code, demo=demo)}"


@dataclass(frozen=True)
class Descriptor:
    """What a pseudonymous entry may say about where it comes from."""

    region_code: str | None
    region_name: str | None
    type: str | None

    @property
    def text(self) -> str:
        parts = [p for p in (self.region_name, TYPE_NAMES.get(self.type or "")) if p]
        return ", ".join(parts) if parts else "England"


@dataclass(frozen=True)
class Pseudonym:
    code: str
    label: str
    descriptor: Descriptor


ENGLAND = Descriptor(None, None, None)


def descriptors(authorities: Iterable[AuthorityLike], k: int = K) -> dict[int, Descriptor]:
    """Descriptor per authority id.

    A region is shown when it holds at least ``k`` authorities. The type is shown beside the region
    only when *every* type present in that region has at least ``k`` authorities there: the decision
    is the region's, so "type withheld" does not reveal that the publisher's own type is rare.
    A region with fewer than ``k`` authorities is shown as England (none today: the smallest, East
    Midlands, has 10).
    """
    rows = list(authorities)
    by_region = Counter(a.region_code for a in rows)
    cells = Counter((a.region_code, a.type) for a in rows)
    types_in_region: dict[str, set[str]] = {}
    for a in rows:
        types_in_region.setdefault(a.region_code, set()).add(a.type)
    out: dict[int, Descriptor] = {}
    for a in rows:
        if by_region[a.region_code] < k:
            out[a.id] = ENGLAND
            continue
        show_type = all(cells[(a.region_code, t)] >= k for t in types_in_region[a.region_code])
        out[a.id] = Descriptor(a.region_code, a.region_name, a.type if show_type else None)
    return out


def cells(descs: Mapping[int, Descriptor]) -> dict[Descriptor, frozenset[int]]:
    """The authorities sharing each descriptor: everyone a label with that descriptor could be."""
    out: dict[Descriptor, set[int]] = {}
    for authority_id, d in descs.items():
        out.setdefault(d, set()).add(authority_id)
    return {d: frozenset(ids) for d, ids in out.items()}


def feasible_publishers(candidates: Mapping[int, frozenset[int]]) -> dict[int, frozenset[int]]:
    """For each pseudonymous publisher (key), every authority that could be behind its label.

    ``candidates[p]`` is the set a viewer cannot rule out for p's label on its own: authorities with
    the same descriptor and no named figure in any series p published under its label. Labels are
    distinct authorities, so jointly they must form a system of distinct representatives; a
    candidate only counts if some such assignment gives it to p. The true assignment (p -> p) is
    one, so c is feasible for p when c publishes no label, or c's own label can move along
    alternating paths to an authority without a label, or to p (which p vacates).
    """
    owners = set(candidates)
    reach: dict[int, tuple[bool, frozenset[int]]] = {}

    def explore(start: int) -> tuple[bool, frozenset[int]]:
        if start not in reach:
            seen = {start}
            queue = deque([start])
            free = False
            while queue:
                r = queue.popleft()
                for nxt in candidates[r]:
                    if nxt in seen:
                        continue
                    seen.add(nxt)
                    if nxt not in owners:
                        free = True
                    else:
                        queue.append(nxt)
            reach[start] = (free, frozenset(seen - {start}))
        return reach[start]

    out: dict[int, frozenset[int]] = {}
    for p, cand in candidates.items():
        feasible = {p}
        for c in cand:
            if c == p:
                continue
            if c not in owners:
                feasible.add(c)
                continue
            reaches_free, reached = explore(c)
            if reaches_free or p in reached:
                feasible.add(c)
        out[p] = frozenset(feasible)
    return out


def visible_owners(candidates: Mapping[int, frozenset[int]], k: int = K) -> frozenset[int]:
    """The publishers whose pseudonymous figures may be shown: at least ``k`` feasible candidates.

    Hiding a label only frees its owner, which can only widen the others' feasible sets, so one
    pass leaves every shown label with at least ``k`` candidates among the labels still shown.
    """
    feasible = feasible_publishers(candidates)
    return frozenset(p for p, f in feasible.items() if len(f) >= k)
