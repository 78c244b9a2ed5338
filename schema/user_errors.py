"""The error type every mutation payload carries (Shopify/GitHub style ``userErrors``)."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Why a mutation's input was refused. Nothing is stored when any is.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: str = strawberry.field(description="Stable machine-readable code, e.g. UNKNOWN_METRIC.")
    message: str = strawberry.field(description="What is wrong and how to put it right.")
    index: int | None = strawberry.field(
        default=None, description="For batch inputs: the 0-based position of the row at fault."
    )
    line: int | None = strawberry.field(
        default=None, description="For CSV uploads: the file's line number (the header is 1)."
    )
