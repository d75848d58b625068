"""Who is really asking: the client address behind trusted reverse proxies.

A request's peer is whoever opened the TCP connection. Behind nginx that is nginx, and the
visitor's address arrives in `X-Forwarded-For` — a header anybody can send. So it is believed only
when the peer is a proxy the operator listed (`LEADDESK_TRUSTED_PROXIES`, default none), and then
read from the right: each trusted proxy appends the address it was reached from, so the right-most
address that is not one of ours is the first hop we did not run — the client. Addresses to its left
were written by that client and are ignored (they are how a spoofer would dodge a rate limit).
Pure functions, no request objects: the ASGI lane (ui/api.py) calls them once per request."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_HOPS = 20
"""How many `X-Forwarded-For` entries are looked at (from the right): bounded work per request."""


def trusted_networks(spec: str) -> tuple[Network, ...]:
    """`10.0.0.1, 192.168.0.0/16, ::1` → networks. Raises ValueError naming a bad entry, so a typo
    stops the server at start-up instead of silently trusting nobody (or everybody)."""
    networks = []
    for part in spec.split(','):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f'LEADDESK_TRUSTED_PROXIES: {entry!r} is not an IP address or network') from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An address as proxies write it (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`, `2001:db8::1`);
    an IPv4-mapped IPv6 address reads as its IPv4 one. None: not an address."""
    text = text.strip()
    if text.startswith('['):
        text = text[1:text.find(']')] if ']' in text else ''
    elif text.count(':') == 1:
        text = text.split(':')[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address.version == n.version and address in n for n in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str | None:
    """The client's address: `peer` itself unless it is a trusted proxy; then the right-most
    `X-Forwarded-For` address that is not a trusted proxy. `forwarded_for`: every such header's
    value, in the order received (several headers read as one comma-separated list).

    When every listed address is a trusted proxy (a request from the proxy host itself), the
    left-most one. When the entry where the client should be is not an address (a misconfigured
    proxy), the last trusted hop: whoever handed the request over is all we can vouch for."""
    if peer is None or not trusted or not is_trusted(parse_address(peer), trusted):
        return peer
    hops = [h for value in forwarded_for for h in value.split(',') if h.strip()][-MAX_HOPS:]
    last = peer
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            return last
        if not is_trusted(address, trusted):
            return str(address)
        last = str(address)
    return last
