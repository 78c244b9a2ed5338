"""Every code creating or deleting a custom peer group can answer with."""

from __future__ import annotations

from enum import StrEnum


class PeerGroupErrorCode(StrEnum):
    BLANK = "BLANK"
    TOO_LONG = "TOO_LONG"
    NAME_TAKEN = "NAME_TAKEN"
    NO_MEMBERS = "NO_MEMBERS"
    TOO_MANY_MEMBERS = "TOO_MANY_MEMBERS"
    TOO_MANY_GROUPS = "TOO_MANY_GROUPS"
    UNKNOWN_AUTHORITY = "UNKNOWN_AUTHORITY"
    DUPLICATE_MEMBER = "DUPLICATE_MEMBER"
    # common to every domain (exchange.errors.CommonErrorCode)
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
