"""Every code writing, publishing, withdrawing or searching case studies can answer with.

The mutations' payload errors carry them (a create or update reports every problem at once); a
search refuses with one of them as its top-level error.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStudyErrorCode(StrEnum):
    # a field of a create or update (exchange.casestudies.service)
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    UNKNOWN_THEME = "UNKNOWN_THEME"
    PERSONAL_DATA = "PERSONAL_DATA"
    ALREADY_PUBLISHED = "ALREADY_PUBLISHED"
    REQUIRED_TO_PUBLISH = "REQUIRED_TO_PUBLISH"
    # an outcome link's periods (also improvers' from/to)
    PERIOD_ORDER = "PERIOD_ORDER"
    MALFORMED_PERIOD = "MALFORMED_PERIOD"  # from exchange.periods.labels.parse_label
    WRONG_PERIOD_KIND = "WRONG_PERIOD_KIND"  # likewise
    # the case study's state
    WITHDRAWN = "WITHDRAWN"
    INVALID_STATUS = "INVALID_STATUS"
    # searching (exchange.casestudies.finder)
    NO_PEERS = "NO_PEERS"
    SEARCH_UNAVAILABLE = "SEARCH_UNAVAILABLE"
    # common to every domain (exchange.errors.CommonErrorCode)
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
