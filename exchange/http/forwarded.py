"""The caller's address: ``X-Forwarded-For`` is believed only from a configured proxy.

Anonymous callers are budgeted by address (exchange/http/admission.py), and the access log
records it, so a header any client can write must not choose it. ``EXCHANGE_TRUSTED_PROXIES``
lists the proxies (IPs or CIDRs, empty by default). When the connection comes from one of them,
the address is the right-most entry of ``X-Forwarded-For`` that is not itself a trusted proxy:
each proxy appends the address it received the request from, so entries to the left of that are
whatever the client chose to send. From any other peer the header is ignored.

``exchange serve`` turns uvicorn's own forwarded-header handling off (it trusts 127.0.0.1 by
default, so any local client could choose its address); run uvicorn by hand with
``--no-proxy-headers`` too. See docs/deployment.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``10.0.0.5``, ``10.0.0.0/8``, ``::1``; a malformed entry raises ValueError (start-up)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"EXCHANGE_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text = text.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(found, "ipv4_mapped", None)
    return mapped or found


class TrustedProxies:
    def __init__(self, entries: Iterable[str]) -> None:
        self.networks = parse_networks(entries)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(
            address.version == n.version and address in n for n in self.networks
        )

    def client(self, peer: str | None, forwarded_for: Iterable[str]) -> str | None:
        """The caller's address, given the connection's peer and the X-Forwarded-For values."""
        if peer is None or not self.networks or not self.trusts(_address(peer)):
            return peer
        hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:  # a proxy we trust wrote something we cannot read
                return peer
            if not self.trusts(address):
                return str(address)
        first = _address(hops[0]) if hops else None
        return str(first) if first is not None else peer  # every hop is one of our proxies


class ForwardedFor:
    """ASGI middleware: ``scope["client"]`` becomes the caller's address (see the module doc),
    so the budget key, the access log and anything else reading ``request.client`` agree."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str] = ()) -> None:
        self.app = app
        self.proxies = TrustedProxies(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies.networks:
            client = scope.get("client")
            if client:
                values = [
                    v.decode("latin-1")
                    for k, v in scope.get("headers") or ()
                    if k == b"x-forwarded-for"
                ]
                address = self.proxies.client(client[0], values)
                if address != client[0]:
                    scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)
