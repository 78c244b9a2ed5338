"""Who is asking: the permission context every read and write path receives."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("publisher", "analyst", "admin")


@dataclass(frozen=True)
class Viewer:
    role: str = "anonymous"  # anonymous | publisher | analyst | admin
    authority_id: int | None = None  # set for publishers
    token_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_member(self) -> bool:
        """Any valid token: may see members-only figures."""
        return self.role != "anonymous"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def visibilities(self) -> tuple[str, ...]:
        return ("public", "members") if self.is_member else ("public",)

    def owns(self, authority_id: int | None) -> bool:
        return self.authority_id is not None and authority_id == self.authority_id


ANONYMOUS = Viewer()
