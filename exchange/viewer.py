"""Who is asking: the permission context every read and write path receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from exchange.tokens import scopes as _scopes


class Role(StrEnum):
    """What a token's holder is: ANONYMOUS (no token) or one of the token roles."""

    ANONYMOUS = "anonymous"
    PUBLISHER = "publisher"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLES = tuple(r.value for r in Role if r is not Role.ANONYMOUS)


@dataclass(frozen=True)
class Viewer:
    role: str = "anonymous"  # anonymous | publisher | analyst | admin
    authority_id: int | None = None  # set for publishers
    token_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        """Any valid token. What it may do is for exchange.tokens.scopes to say."""
        return self.role != "anonymous"

    @property
    def is_member(self) -> bool:
        """Signed in: any valid token (the same as ``is_authenticated``). Not a permission: a
        token sees members-only figures only with the read:members scope (``visibilities``)."""
        return self.is_authenticated

    @property
    def is_admin(self) -> bool:
        """The role only: never an authorisation check (use exchange.tokens.scopes)."""
        return self.role == "admin"

    def visibilities(self) -> tuple[str, ...]:
        """The figures this viewer may read: members-only ones need the read:members scope."""
        return _visibilities(self.role, self.scopes)

    def owns(self, authority_id: int | None) -> bool:
        return self.authority_id is not None and authority_id == self.authority_id


ANONYMOUS = Viewer()


# A comparison asks once per entry (~150 times a request); the answer depends on role and scopes
# only, so it is worked out once per distinct pair.
@lru_cache(maxsize=256)
def _visibilities(role: str, scopes: frozenset[str]) -> tuple[str, ...]:
    members = _scopes.has(Viewer(role=role, scopes=scopes), _scopes.Scope.READ_MEMBERS)
    return ("public", "members") if members else ("public",)


def role_viewer(
    role: str, *, authority_id: int | None = None, token_id: int | None = None
) -> Viewer:
    """A viewer with every scope of its role, as a token created without ``--scope`` has: for
    server-side jobs that act for an authority (the demo data loader) and for tests."""
    return Viewer(
        role=role,
        authority_id=authority_id,
        token_id=token_id,
        scopes=frozenset(s.value for s in _scopes.ROLE_SCOPES[role]),
    )
