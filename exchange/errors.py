"""Expected failures, each with a stable code the API returns to clients.

Each domain lists its codes in a ``StrEnum`` of its own (``exchange/<domain>/errors.py``), exposed
in the GraphQL schema as the type of its payload errors' ``code``; the codes any domain may raise
are here, in ``CommonErrorCode``, and every domain's list repeats those its payloads can carry.
A member is its own wire value (``NOT_FOUND == "NOT_FOUND"``).
"""

from __future__ import annotations

from enum import StrEnum


class CommonErrorCode(StrEnum):
    INVALID = "INVALID"  # an input refused for a reason with no code of its own
    NOT_FOUND = "NOT_FOUND"  # no such thing, or not one the viewer may see (the same answer)
    FORBIDDEN = "FORBIDDEN"  # the token lacks the scope, or the thing is another authority's
    UNAUTHENTICATED = "UNAUTHENTICATED"  # no valid token


class DomainError(Exception):
    code: str = CommonErrorCode.INVALID

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.suggestions = suggestions  # what the client may have meant (extensions.suggestions)


class InvalidInput(DomainError):
    code = CommonErrorCode.INVALID

    def __init__(self, field: str, message: str, code: str | None = None) -> None:
        super().__init__(message, code=code, field=field)


class NotFound(DomainError):
    code = CommonErrorCode.NOT_FOUND


class PermissionDenied(DomainError):
    code = CommonErrorCode.FORBIDDEN


class Unauthenticated(DomainError):
    code = CommonErrorCode.UNAUTHENTICATED
