"""GEOHUNT_TRUSTED_PROXIES: X-Forwarded-For and X-Forwarded-Proto are believed from a trusted
peer only. Over HTTP (the address a scan records) and on the header parsing itself."""

from __future__ import annotations

import ipaddress
from typing import Any

import asyncpg
from aiohttp import web

from server.app import create_app
from server.http.proxies import (
    ADDRESS_TEXT_MAX,
    ADDRESSES_CACHED,
    _parse_address,
    forwarded_client,
    forwarded_scheme,
    parse_address,
)
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, at, make_hunt, post_scan

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")  # the test client's peer
INTERNAL = ipaddress.ip_network("10.0.0.0/8")


async def _echo(request: web.Request) -> web.Response:
    return web.json_response({"remote": request.remote, "scheme": request.scheme})


ECHO = [web.get("/_test/echo", _echo)]


async def client_of(aiohttp_client: Any, settings_factory: Any, *trusted: Any) -> Api:
    settings = settings_factory(trusted_proxies=tuple(trusted))
    return Api(await aiohttp_client(create_app(settings, extra_routes=ECHO)), settings)


async def recorded_address(
    api: Api, db: asyncpg.Connection, headers: dict[str, str]
) -> tuple[str | None, int]:
    """Scan a fresh billboard as a fresh hunter with `headers`; the address its attempt
    recorded, and the status answered."""
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    hunter_id, me = await api.hunter()
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    status, _ = await api.call("POST", "/v1/scans", headers={**me, **headers}, json=body)
    address = await db.fetchval(
        "SELECT host(address) FROM scan_attempts WHERE hunter_id = $1", hunter_id
    )
    return address, status


async def test_an_untrusted_peer_is_its_own_address_whatever_it_says(
    aiohttp_client: Any, settings_factory: Any, db: asyncpg.Connection
) -> None:
    # The default (no trusted proxy), and proxies trusted elsewhere than the peer.
    for trusted in ((), (INTERNAL,)):
        api = await client_of(aiohttp_client, settings_factory, *trusted)
        forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        assert await recorded_address(api, db, forged) == ("127.0.0.1", 201)
        _, seen = await api.call("GET", "/_test/echo", 200, headers=forged)
        assert seen == {"remote": "127.0.0.1", "scheme": "http"}


async def test_a_trusted_peer_names_the_client(
    aiohttp_client: Any, settings_factory: Any, db: asyncpg.Connection
) -> None:
    api = await client_of(aiohttp_client, settings_factory, LOOPBACK, INTERNAL)
    told = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert await recorded_address(api, db, told) == ("203.0.113.9", 201)
    _, seen = await api.call("GET", "/_test/echo", 200, headers=told)
    assert seen == {"remote": "203.0.113.9", "scheme": "https"}

    # Through two of our proxies, behind a client that wrote its own header first: the
    # right-most address that is not ours is the client; what it wrote itself is not believed.
    chain = {"X-Forwarded-For": "198.51.100.66, 203.0.113.9, 10.1.2.3"}
    _, seen = await api.call("GET", "/_test/echo", 200, headers=chain)
    assert seen["remote"] == "203.0.113.9"
    # The header given twice reads as one list, in order.
    response = await api.client.get(
        "/_test/echo",
        headers=[("X-Forwarded-For", "198.51.100.66"), ("X-Forwarded-For", "2001:db8::7")],
    )
    assert (await response.json())["remote"] == "2001:db8::7"
    # Every hop ours: the request came from inside, the left-most is the client.
    _, seen = await api.call("GET", "/_test/echo", 200, headers={"X-Forwarded-For": "10.9.9.9"})
    assert seen["remote"] == "10.9.9.9"
    # No header: the peer, plainly.
    _, seen = await api.call("GET", "/_test/echo", 200)
    assert seen == {"remote": "127.0.0.1", "scheme": "http"}


async def test_malformed_forwarding_headers_are_ignored_without_error(
    aiohttp_client: Any, settings_factory: Any, db: asyncpg.Connection
) -> None:
    api = await client_of(aiohttp_client, settings_factory, LOOPBACK)
    for header in (
        "not-an-address",
        "203.0.113.9, nonsense",
        "203.0.113.9:5555",
        "",
        ",",
        "999.1.1.1",
        "1.2.3.4 5.6.7.8",
        ", ".join(["203.0.113.9"] * 40),  # more hops than any real chain
    ):
        headers = {"X-Forwarded-For": header, "X-Forwarded-Proto": "gopher"}
        _, seen = await api.call("GET", "/_test/echo", 200, headers=headers)
        assert seen == {"remote": "127.0.0.1", "scheme": "http"}, header
    junk = {"X-Forwarded-For": "<script>", "X-Forwarded-Proto": "https, ftp"}
    assert await recorded_address(api, db, junk) == ("127.0.0.1", 201)
    hunter_id, me = await api.hunter()
    # A refused scan records the address too, and is answered as usual.
    await post_scan(api, {**me, **junk}, "junk", 422)
    address = await db.fetchval(
        "SELECT host(address) FROM scan_attempts WHERE hunter_id = $1", hunter_id
    )
    assert address == "127.0.0.1"


def test_header_parsing() -> None:
    trusted = [LOOPBACK, INTERNAL, ipaddress.ip_network("fd00::/8")]
    assert forwarded_client(["203.0.113.9, 10.0.0.1"], trusted) == parse_address("203.0.113.9")
    assert forwarded_client(["[2001:db8::1], fd00::2"], trusted) == parse_address("2001:db8::1")
    assert forwarded_client([], trusted) is None
    assert forwarded_client(["10.0.0.1, x"], trusted) is None
    assert parse_address("::ffff:10.0.0.1") == ipaddress.ip_address("10.0.0.1")
    assert parse_address("fe80::1%eth0") == ipaddress.ip_address("fe80::1")
    assert parse_address("localhost") is None and parse_address(None) is None
    assert forwarded_scheme(["HTTPS"]) == "https"
    assert forwarded_scheme(["https", "http"]) == "http"  # the nearest proxy's word
    assert forwarded_scheme(["https, ws"]) is None and forwarded_scheme([]) is None


def test_an_address_is_parsed_once_and_the_cache_is_bounded() -> None:
    cache = _parse_address
    cache.cache_clear()
    first = parse_address("198.51.100.7")
    assert parse_address("198.51.100.7") is first
    assert cache.cache_info().hits == 1
    for n in range(ADDRESSES_CACHED + 10):
        parse_address(str(ipaddress.IPv4Address(167772160 + n)))
    assert cache.cache_info().currsize == ADDRESSES_CACHED
    # A long item of a header is no address, and is not kept.
    cache.cache_clear()
    assert parse_address("1" * 8000) is None and forwarded_client(["2" * 8000], []) is None
    assert cache.cache_info().currsize == 0
    longest = "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%" + "z" * 15 + "]"
    assert len(longest) <= ADDRESS_TEXT_MAX
    assert parse_address(longest) == ipaddress.ip_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
