"""Who is on the other end of a request behind reverse proxies (GEOHUNT_TRUSTED_PROXIES).

`X-Forwarded-For` and `X-Forwarded-Proto` are only words a client may write, unless the
connection comes from a proxy we run. So:

- a connection whose TCP peer is not in a trusted network is taken as it is: its headers are
  ignored, and its address is the peer's;
- from a trusted peer, the client's address is the right-most address of `X-Forwarded-For`
  (every occurrence of the header, in order) that is not itself in a trusted network: each
  proxy appends the address it was connected from, so addresses left of the first untrusted
  one were written by that untrusted client and prove nothing. When every address is trusted,
  the left-most is taken (a request that came from inside);
- from a trusted peer, `X-Forwarded-Proto` (`http` or `https`; the right-most value, set by
  the proxy that connected to us) becomes the request's scheme;
- a malformed header (an item that is not an IP address, an unknown scheme) is ignored as a
  whole, without error: the request is served as if it were absent.

The server builds no URL from the request (QR codes, SIWE and passkeys, art and sketches all
name `PUBLIC_BASE_URL`), so the scheme only matters to `request.scheme` / `request.secure`.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# More hops than any real chain of proxies; a longer header is not believed.
MAX_HOPS = 32
SCHEMES = frozenset({"http", "https"})


# A client's requests come from one address (or through one proxy): parsed once, not at every
# request (3 us each, 1% of a scan's server CPU); a storm of new addresses only cycles the cache.
ADDRESSES_CACHED = 4096
# Longer than any address with brackets and an interface's zone: never one, and never cached
# (a header's items are the client's words; the cache holds short strings only).
ADDRESS_TEXT_MAX = 80


def parse_address(text: str | None) -> Address | None:
    """An IP address as a peer or a header names it (IPv6 possibly in brackets or with a zone);
    None for anything else."""
    if not text or len(text) > ADDRESS_TEXT_MAX:
        return None
    return _parse_address(text)


@functools.lru_cache(maxsize=ADDRESSES_CACHED)
def _parse_address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.partition("%")[0]  # an IPv6 zone (fe80::1%eth0) is no part of the address
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1 (a dual-stack socket's peer)
    return address


def is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def forwarded_client(values: Sequence[str], trusted: Sequence[Network]) -> Address | None:
    """The client's address from the `X-Forwarded-For` values of a request that came through
    a trusted proxy; None when they are absent or malformed."""
    items = [item.strip() for value in values for item in value.split(",")]
    if not items or len(items) > MAX_HOPS:
        return None
    addresses = [parse_address(item) for item in items]
    if any(address is None for address in addresses):
        return None
    hops = [address for address in addresses if address is not None]
    for address in reversed(hops):
        if not is_trusted(address, trusted):
            return address
    return hops[0]


def forwarded_scheme(values: Sequence[str]) -> str | None:
    """The scheme from the `X-Forwarded-Proto` values of a request from a trusted proxy."""
    items = [item.strip().lower() for value in values for item in value.split(",")]
    if not items or not all(item in SCHEMES for item in items):
        return None
    return items[-1]


def proxies_middleware(trusted: Sequence[Network]) -> Middleware:
    """The middleware that believes trusted proxies' forwarding headers (see the module)."""
    networks = tuple(trusted)

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = parse_address(request.remote)
        if peer is None or not is_trusted(peer, networks):
            return await handler(request)
        client = forwarded_client(request.headers.getall(hdrs.X_FORWARDED_FOR, []), networks)
        scheme = forwarded_scheme(request.headers.getall(hdrs.X_FORWARDED_PROTO, []))
        if client is None and scheme is None:
            return await handler(request)
        told = request.clone(remote=str(client or peer), scheme=scheme or request.scheme)
        return await handler(told)

    return forwarded


def client_address(request: web.Request) -> str | None:
    """The address to record for the request's client: the peer, or what a trusted proxy said
    (the middleware has put it in `request.remote`); None when it is no IP address (a Unix
    socket's peer), so that it is never a value the database refuses."""
    return _address_text(request.remote)


@functools.lru_cache(maxsize=ADDRESSES_CACHED)
def _address_text(remote: str | None) -> str | None:
    address = parse_address(remote)
    return None if address is None else str(address)
