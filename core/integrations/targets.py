"""Where a webhook may send: not into the server's own networks unless an admin allows it.

A webhook URL is typed by an admin, but whoever can type it (or change DNS for its host) could
otherwise point the server at what only it can reach: its loopback services, the office LAN, or a
cloud's instance-metadata endpoint (169.254.169.254 hands out credentials). So a target is refused
when its host is a metadata name, or any address it resolves to is loopback, link-local, private
(RFC 1918, fc00::/7, CGNAT 100.64/10), unspecified, multicast or otherwise not globally routable —
unless the admin setting "allow private targets" is on (a receiver inside the company network).
Cloud-metadata hosts and addresses stay refused even then: no receiver lives there.

Checked when a webhook is saved (`refusal`, an early clear answer) and again at every delivery,
at connect time (`GuardedBackend`): DNS can change after the save, so the addresses are resolved
again, every one checked, and the connection made to a checked address — not resolved a second
time by the HTTP client, which would let a rebinding DNS answer differently in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, cast

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset({
    'metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.internal',
    'instance-data', 'instance-data.ec2.internal', 'metadata.tencentyun.com', 'metadata.platformequinix.com',
})
"""Names cloud providers serve instance metadata (and credentials) under."""
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    '169.254.169.254', '169.254.170.2', '169.254.0.23', '100.100.100.200', 'fd00:ec2::254',
))
"""AWS/GCP/Azure/OpenStack, AWS ECS tasks, Tencent Cloud, Alibaba Cloud, AWS over IPv6."""
LOCAL_SUFFIXES = ('.localhost', '.internal', '.local')

Resolve = Callable[[str, int], Iterable[str]]


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, 6to4, Teredo, NAT64 64:ff9b::/96)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network('64:ff9b::/96'):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a connection to `address` is refused (None: allowed)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None:
            return address_refusal(inner, allow_private=allow_private)
    if address in METADATA_ADDRESSES:
        return 'metadata'
    if allow_private:
        return None
    for kind in ('unspecified', 'loopback', 'link_local', 'multicast', 'private', 'reserved'):
        if getattr(address, f'is_{kind}'):
            return kind
    if not address.is_global:
        return 'private'  # shared (CGNAT 100.64/10), documentation and benchmarking ranges
    return None


def host_refusal(host: str, *, allow_private: bool) -> str | None:
    """Why a host name is refused before resolving it (None: resolve and check its addresses)."""
    name = host.strip('[]').rstrip('.').lower()
    if name in METADATA_HOSTS:
        return 'metadata'
    if not allow_private and (name == 'localhost' or name.endswith(LOCAL_SUFFIXES)):
        return 'loopback' if 'localhost' in name else 'private'
    return None


def _system_resolve(host: str, port: int) -> list[str]:
    # cast: typeshed allows an (int, bytes) sockaddr, only from a Python built without IPv6; an IP is a str
    return [cast(str, info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def refusal(url: str, *, allow_private: bool, resolve: Resolve = _system_resolve) -> str | None:
    """Why webhook deliveries to `url` would be refused now (None: allowed). A host that does not
    resolve is not refused here (it may exist by the time events flow); delivery checks again."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ''
    found = host_refusal(host, allow_private=allow_private)
    if found:
        return found
    try:
        addresses = list(resolve(host, parts.port or (443 if parts.scheme == 'https' else 80)))
    except (OSError, UnicodeError):
        return None
    for text in addresses:
        found = address_refusal(ipaddress.ip_address(text.split('%')[0]), allow_private=allow_private)
        if found:
            return found
    return None


class TargetRefused(httpcore.ConnectError):
    """A delivery's host resolved to an address webhooks may not reach (a failed attempt, retried
    with backoff like a receiver that is down: DNS or the setting may change)."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the check at connect time: resolve, refuse if any address is
    refused, else connect to the checked addresses (in order, the first that answers)."""

    def __init__(self, *, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        found = host_refusal(host, allow_private=self.allow_private)
        if found:
            raise TargetRefused(f'refused: {host} is a {found} host')
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            raise httpcore.ConnectError(f'{host}: {e}') from e
        addresses = list(dict.fromkeys(cast(str, info[4][0]) for info in infos))  # cast: as in _system_resolve
        for text in addresses:
            found = address_refusal(ipaddress.ip_address(text.split('%')[0]), allow_private=self.allow_private)
            if found:
                raise TargetRefused(f'refused: {host} resolves to {text} ({found})')
        error: Exception = httpcore.ConnectError(f'{host}: no address')
        for text in addresses:
            try:
                return await self.inner.connect_tcp(text, port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        raise TargetRefused('refused: unix sockets')

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(*, allow_private: bool) -> httpx.AsyncHTTPTransport:
    """httpx's transport connecting through `GuardedBackend`. Its pool is replaced (httpx takes no
    network backend): everything else — TLS verified against the URL's host name, keep-alive —
    is httpx's own. Proxies from the environment are not used: a proxy would connect for us,
    past the check."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=GuardedBackend(allow_private=allow_private))
    return transport
