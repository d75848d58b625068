"""The client address behind trusted proxies (core/accounts/proxies.py): X-Forwarded-For counts only when the
connection comes from a listed proxy, and then only its right-most address that is not ours."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from core.accounts.proxies import client_address, parse_address, trusted_networks

NGINX = trusted_networks('10.0.0.5')
TWO_TIERS = trusted_networks('10.0.0.0/24, 2001:db8::/32')


def test_no_trusted_proxy_means_the_peer_whatever_the_header_says() -> None:
    assert client_address('203.0.113.7', ['198.51.100.1'], ()) == '203.0.113.7'


def test_a_peer_that_is_not_a_listed_proxy_cannot_forward() -> None:
    assert client_address('203.0.113.7', ['198.51.100.1'], NGINX) == '203.0.113.7'


def test_behind_the_proxy_the_client_is_the_address_it_appended() -> None:
    assert client_address('10.0.0.5', ['198.51.100.1'], NGINX) == '198.51.100.1'


def test_addresses_the_client_wrote_itself_are_ignored() -> None:
    """A spoofer sends `X-Forwarded-For: 1.1.1.1`; nginx appends the real address to it."""
    assert client_address('10.0.0.5', ['1.1.1.1, 2.2.2.2, 198.51.100.1'], NGINX) == '198.51.100.1'


def test_several_trusted_hops_are_skipped_from_the_right() -> None:
    assert client_address('10.0.0.1', ['9.9.9.9, 198.51.100.1, 10.0.0.7'], TWO_TIERS) == '198.51.100.1'


def test_several_headers_read_as_one_list() -> None:
    assert client_address('10.0.0.1', ['9.9.9.9', '198.51.100.1, 10.0.0.7'], TWO_TIERS) == '198.51.100.1'


def test_ipv6_and_ports_and_mapped_addresses() -> None:
    assert client_address('2001:db8::1', ['[2001:db9::5]:443'], TWO_TIERS) == '2001:db9::5'
    assert client_address('::ffff:10.0.0.5', ['198.51.100.1:5555'], NGINX) == '198.51.100.1'
    assert parse_address('::ffff:192.0.2.1') == parse_address('192.0.2.1')


def test_no_header_from_the_proxy_is_the_proxy() -> None:
    assert client_address('10.0.0.5', [], NGINX) == '10.0.0.5'


def test_only_trusted_addresses_gives_the_left_most() -> None:
    assert client_address('10.0.0.1', ['10.0.0.9, 10.0.0.7'], TWO_TIERS) == '10.0.0.9'


def test_garbage_where_the_client_should_be_gives_the_last_trusted_hop() -> None:
    assert client_address('10.0.0.1', ['unknown, 10.0.0.7'], TWO_TIERS) == '10.0.0.7'
    assert client_address('10.0.0.5', ['<script>'], NGINX) == '10.0.0.5'


def test_a_flood_of_hops_is_read_only_from_the_right() -> None:
    header = ', '.join(['10.0.0.9'] * 5000) + ', 198.51.100.1'
    assert client_address('10.0.0.5', [header], trusted_networks('10.0.0.0/24')) == '198.51.100.1'


def test_settings_parse_and_refuse_typos() -> None:
    assert trusted_networks('') == ()
    assert [str(n) for n in trusted_networks(' 127.0.0.1 , 10.1.2.0/24,::1 ')] == ['127.0.0.1/32', '10.1.2.0/24',
                                                                                  '::1/128']
    with pytest.raises(ValueError, match=r'10\.0\.0\.300'):
        trusted_networks('10.0.0.300')


async def test_the_lane_resolves_client_and_scheme_and_adds_headers() -> None:
    """ui/api.py `ApiLane`: the address and scheme every route sees, and the headers every answer gets."""
    from ui.api import ApiLane

    seen: list[dict] = []

    async def app(scope: dict, receive: object, send: Callable[[dict], Awaitable[None]]) -> None:
        seen.append({'client': scope['client'], 'scheme': scope['scheme'], 'path': scope['path']})
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-security-policy', b"frame-ancestors *")] if scope['path'] == '/f/x' else []})
        await send({'type': 'http.response.body', 'body': b''})

    lane = ApiLane(app, app, trusted_networks('10.0.0.5'))
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    def scope(peer: str, path: str = '/') -> dict:
        return {'type': 'http', 'path': path, 'scheme': 'http', 'client': (peer, 1234),
                'headers': [(b'x-forwarded-for', b'1.1.1.1, 198.51.100.1'), (b'x-forwarded-proto', b'https')]}

    await lane(scope('10.0.0.5'), None, send)
    await lane(scope('203.0.113.9', '/f/x'), None, send)
    assert seen[0]['client'] == ('198.51.100.1', 0) and seen[0]['scheme'] == 'https'
    assert seen[1]['client'] == ('203.0.113.9', 1234) and seen[1]['scheme'] == 'http'  # not a proxy: as sent
    page, form = (dict(m['headers']) for m in sent if m['type'] == 'http.response.start')
    assert page[b'content-security-policy'] == b"frame-ancestors 'self'"
    assert page[b'x-content-type-options'] == b'nosniff'
    assert page[b'referrer-policy'] == b'strict-origin-when-cross-origin'
    assert form[b'content-security-policy'] == b'frame-ancestors *'  # a route's own policy stands
