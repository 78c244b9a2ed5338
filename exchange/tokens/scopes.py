"""Token scopes: what each one allows, decided here and nowhere else.

A token carries its role's scopes unless it was created with fewer (``exchange token create
--scope read:members``). Every service that writes, or reads something privileged, asks this
module: ``require`` refuses (``Unauthenticated`` without a token, ``PermissionDenied`` without the
scope), ``has`` narrows an answer (members-only figures are left out without ``read:members``).
Nothing else looks at a viewer's role or scopes to decide what it may do.

``API_RULES`` states the same rules per GraphQL root field. docs/publishing.md shows it as a
table, and tests/security/test_scopes.py walks it: every mutation and query must have an entry,
and every entry that needs a scope is refused (or narrowed) for a token that lacks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from exchange.errors import PermissionDenied, Unauthenticated


class Viewer(Protocol):
    """What the rules read of a viewer (exchange.viewer.Viewer; a protocol, so the viewer can ask
    these rules without the two modules importing each other)."""

    @property
    def role(self) -> str: ...
    @property
    def authority_id(self) -> int | None: ...
    @property
    def scopes(self) -> frozenset[str]: ...


class Scope(StrEnum):
    READ_MEMBERS = "read:members"
    OBSERVATIONS_PUBLISH = "observations:publish"
    PEER_GROUPS_WRITE = "peer_groups:write"
    CASE_STUDIES_WRITE = "case_studies:write"
    AUDIT_READ = "audit:read"
    OBSERVATIONS_MODERATE = "observations:moderate"
    CASE_STUDIES_MODERATE = "case_studies:moderate"


# What each role may do. A token gets its role's scopes unless it is created with fewer; a scope
# outside its role's list never counts, whatever the token row says.
ROLE_SCOPES: Mapping[str, tuple[Scope, ...]] = {
    "publisher": (
        Scope.READ_MEMBERS,
        Scope.OBSERVATIONS_PUBLISH,
        Scope.PEER_GROUPS_WRITE,
        Scope.CASE_STUDIES_WRITE,
    ),
    "analyst": (Scope.READ_MEMBERS,),
    "admin": (
        Scope.READ_MEMBERS,
        Scope.AUDIT_READ,
        Scope.OBSERVATIONS_MODERATE,
        Scope.CASE_STUDIES_MODERATE,
    ),
}

UNAUTHENTICATED_MESSAGE = (
    "Authentication failed: send a current token as 'Authorization: Bearer <token>', or send no "
    "Authorization header to read public data. Tokens are issued by your exchange administrator."
)


def granted(viewer: Viewer) -> frozenset[Scope]:
    """The scopes that count for this viewer: its token's, within its role's."""
    allowed = ROLE_SCOPES.get(viewer.role, ())
    return frozenset(s for s in allowed if s.value in viewer.scopes)


def has(viewer: Viewer, *any_of: Scope) -> bool:
    """True when the viewer's token carries at least one of ``any_of``."""
    held = granted(viewer)
    return any(s in held for s in any_of)


def require_token(viewer: Viewer) -> None:
    """Refuse an anonymous caller: the one UNAUTHENTICATED answer, whatever was asked."""
    if viewer.role == "anonymous":
        raise Unauthenticated(UNAUTHENTICATED_MESSAGE)


def require(viewer: Viewer, *any_of: Scope, to: str) -> None:
    """Refuse unless the viewer's token carries one of ``any_of``.

    ``to`` names what was attempted ("publish figures"), for the message. Checked before any
    object is looked up, so the refusal says nothing about the object asked for."""
    if not any_of:
        raise ValueError("require needs at least one scope")
    require_token(viewer)
    if not has(viewer, *any_of):
        held = ", ".join(sorted(granted(viewer))) or "none"
        wanted = " or ".join(f"'{s}'" for s in any_of)
        raise PermissionDenied(
            f"To {to} a token needs the {wanted} scope; this token's scopes: {held}. Ask your "
            "exchange administrator for a token with it."
        )


def require_authority(viewer: Viewer, *any_of: Scope, to: str) -> int:
    """``require``, and a token bound to an authority: that authority's id.

    With no scope given, any token of an authority will do (it reads its own things)."""
    if any_of:
        require(viewer, *any_of, to=to)
    else:
        require_token(viewer)
    if viewer.authority_id is None:
        raise PermissionDenied(
            f"To {to} use a publisher token: it is bound to your authority, and this token is not."
        )
    return viewer.authority_id


# -- the rules, per GraphQL root field ------------------------------------------------------------


class Access(StrEnum):
    PUBLIC = "public"  # anyone, with or without a token
    NARROWED = "narrowed"  # answered for anyone; members-only figures need one of the scopes
    OWN = "own"  # a token bound to an authority; answers with that authority's own things only
    REFUSED = "refused"  # FORBIDDEN (top-level error or userError) without one of the scopes


@dataclass(frozen=True)
class Rule:
    access: Access
    scopes: tuple[Scope, ...] = ()  # any one of them is enough
    note: str = ""


def _needs(*scopes: Scope, note: str = "") -> Rule:
    return Rule(Access.REFUSED, scopes, note)


_MEMBERS = Rule(
    Access.NARROWED,
    (Scope.READ_MEMBERS,),
    "without the scope, members-only figures are left out as if they did not exist",
)
_PUBLIC = Rule(Access.PUBLIC)

API_RULES: Mapping[str, Rule] = {
    # mutations
    "Mutation.publishObservations": _needs(Scope.OBSERVATIONS_PUBLISH),
    "Mutation.publishObservationsCsv": _needs(Scope.OBSERVATIONS_PUBLISH),
    "Mutation.withdrawObservation": _needs(
        Scope.OBSERVATIONS_PUBLISH,
        Scope.OBSERVATIONS_MODERATE,
        note="observations:publish for your own figures; observations:moderate for any "
        "self-reported figure",
    ),
    "Mutation.createPeerGroup": _needs(Scope.PEER_GROUPS_WRITE),
    "Mutation.deletePeerGroup": _needs(Scope.PEER_GROUPS_WRITE),
    "Mutation.createCaseStudy": _needs(Scope.CASE_STUDIES_WRITE),
    "Mutation.updateCaseStudy": _needs(Scope.CASE_STUDIES_WRITE),
    "Mutation.publishCaseStudy": _needs(Scope.CASE_STUDIES_WRITE),
    "Mutation.withdrawCaseStudy": _needs(
        Scope.CASE_STUDIES_WRITE,
        Scope.CASE_STUDIES_MODERATE,
        note="case_studies:write for your own; case_studies:moderate for any published one",
    ),
    # queries
    "Query.auditLog": _needs(Scope.AUDIT_READ, note="it names the authority behind pseudonyms"),
    "Query.observations": _MEMBERS,
    "Query.observationHistory": _MEMBERS,
    "Query.comparison": _MEMBERS,
    "Query.trend": _MEMBERS,
    "Query.improvers": _MEMBERS,
    "Query.node": _MEMBERS,
    "Query.caseStudies": _MEMBERS,
    "Query.caseStudy": _MEMBERS,
    "Query.myCaseStudies": Rule(Access.OWN, note="your authority's drafts and withdrawn ones"),
    "Query.peerGroups": Rule(Access.OWN, note="empty for a token of no authority"),
    "Query.viewer": _PUBLIC,
    "Query.authority": _PUBLIC,
    "Query.authorities": _PUBLIC,
    "Query.metrics": _PUBLIC,
    "Query.metric": _PUBLIC,
    "Query.formerAuthorities": _PUBLIC,  # DfE's own figures, public in its files
    "Query.breakdownFigures": _PUBLIC,  # likewise
    "Query.caseStudyVocabulary": _PUBLIC,
}
