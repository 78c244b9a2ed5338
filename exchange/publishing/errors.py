"""Every code a publication, a CSV upload or a withdrawal can answer with (docs/publishing.md).

The API's payloads carry them as ``PublishErrorCode``; the CSV and the command line print them.
"""

from __future__ import annotations

from enum import StrEnum


class PublishErrorCode(StrEnum):
    # the batch as a whole
    NO_ROWS = "NO_ROWS"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    # one row
    NOT_YOUR_AUTHORITY = "NOT_YOUR_AUTHORITY"
    UNKNOWN_METRIC = "UNKNOWN_METRIC"
    NOT_SELF_REPORTED = "NOT_SELF_REPORTED"
    MALFORMED_PERIOD = "MALFORMED_PERIOD"  # from exchange.periods.labels.parse_label
    WRONG_PERIOD_KIND = "WRONG_PERIOD_KIND"  # likewise
    FUTURE_PERIOD = "FUTURE_PERIOD"
    NOT_A_NUMBER = "NOT_A_NUMBER"
    MISSING_VALUE = "MISSING_VALUE"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    SYMBOL_WITH_VALUE = "SYMBOL_WITH_VALUE"
    UNKNOWN_FLAG = "UNKNOWN_FLAG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NEGATIVE_COUNT = "NEGATIVE_COUNT"
    NEGATIVE_VALUE = "NEGATIVE_VALUE"
    PERCENT_OVER_100 = "PERCENT_OVER_100"
    NOT_WHOLE_NUMBER = "NOT_WHOLE_NUMBER"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    # a row against what the authority published before
    PSEUDONYMITY_FIXED = "PSEUDONYMITY_FIXED"
    NUMERATOR_OVER_DENOMINATOR = "NUMERATOR_OVER_DENOMINATOR"
    SHARE_DISAGREES_WITH_PARTS = "SHARE_DISAGREES_WITH_PARTS"  # 100 x num / den, within rounding
    # the CSV file (exchange.publishing.csvfile)
    NOT_CSV = "NOT_CSV"
    MALFORMED_CSV = "MALFORMED_CSV"
    EMPTY_FILE = "EMPTY_FILE"
    MISSING_COLUMN = "MISSING_COLUMN"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"
    TOO_MANY_CELLS = "TOO_MANY_CELLS"
    # the upload itself: refused as the request's top-level error, with the same code
    NOT_A_FILE = "NOT_A_FILE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    # withdrawing a figure
    ALREADY_WITHDRAWN = "ALREADY_WITHDRAWN"
    # common to every domain (exchange.errors.CommonErrorCode)
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
