"""The error type mutation payloads carry (Shopify/GitHub style ``userErrors``).

Each mutation domain has its own error type, Saleor style: a subclass of ``UserError`` whose
``code`` is that domain's enum (``exchange/<domain>/errors.py``, exposed with ``strawberry.enum``),
so a client finds every code in the schema. The wire values are the codes themselves.
"""

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
