"""Authority vocabularies: the kinds of authority, and the named peer groups an authority is
compared with (exposed as the API's AuthorityType and PeerGroup enums by schema/enums.py)."""

from __future__ import annotations

from enum import StrEnum


class AuthorityType(StrEnum):
    COUNTY = "county"
    UNITARY = "unitary"
    METROPOLITAN_DISTRICT = "metropolitan_district"
    LONDON_BOROUGH = "london_borough"


class PeerGroup(StrEnum):
    """A named group of authorities; the subject is never in its own group."""

    STATISTICAL_NEIGHBOURS = "STATISTICAL_NEIGHBOURS"
    REGION = "REGION"
    AUTHORITY_TYPE = "AUTHORITY_TYPE"
    ENGLAND = "ENGLAND"
