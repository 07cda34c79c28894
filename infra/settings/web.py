"""What the HTTP side is told about its surroundings: its public origin, the reverse proxies
in front of it, and the console map's tile server."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from infra.settings.values import SettingsError


def public_base_url(env: Mapping[str, str]) -> str:
    """PUBLIC_BASE_URL: an http(s) origin. A host name, not an IP address: it is also the
    passkeys' relying party id."""
    base = env.get("PUBLIC_BASE_URL", "http://localhost:8080").rstrip("/")
    if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
        raise SettingsError("PUBLIC_BASE_URL must be an http(s) origin")
    return base


TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")
TILE_EXAMPLE = "e.g. https://tile.example/{z}/{x}/{y}.png"
# A tile server's host[:port] joins the console's CSP header: a name or an IP, nothing else.
TILE_HOST = re.compile(r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$")
# After the host: a path (and query) of URL characters.
TILE_REST = re.compile(r"^/[A-Za-z0-9._~!$&()*+,;=:@/?%{}-]*$")


def tile_url(env: Mapping[str, str]) -> str | None:
    """GEOHUNT_TILE_URL: an http(s) URL template naming {z}, {x} and {y} once each (and no
    other placeholder) after a plain host, whose origin joins the console's CSP."""
    url = env.get("GEOHUNT_TILE_URL") or None
    if url is None:
        return None
    parts = urlsplit(url)
    rest = url[len(f"{parts.scheme}://{parts.netloc}") :]
    try:
        port_ok = parts.port != 0
    except ValueError:  # out of range
        port_ok = False
    if (
        not port_ok
        or parts.scheme not in ("http", "https")
        or not TILE_HOST.match(parts.netloc.lower())
        or not TILE_REST.match(rest)
    ):
        raise SettingsError(f"GEOHUNT_TILE_URL must be an http(s) URL template, {TILE_EXAMPLE}")
    bare = rest
    for placeholder in TILE_PLACEHOLDERS:
        if bare.count(placeholder) != 1:
            bare = "{"  # refused below
            break
        bare = bare.replace(placeholder, "")
    if "{" in bare or "}" in bare:
        raise SettingsError(
            f"GEOHUNT_TILE_URL must name {{z}}, {{x}} and {{y}} once each and no other"
            f" placeholder, {TILE_EXAMPLE}"
        )
    return url


def trusted_proxies(
    env: Mapping[str, str],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """GEOHUNT_TRUSTED_PROXIES: comma-separated networks in CIDR notation (`10.0.0.0/8`,
    `2001:db8::/32`; a bare address is its own /32 or /128). Host bits set under the prefix
    (`10.0.0.1/8`) are refused: such a typo would trust a network nobody meant."""
    raw = env.get("GEOHUNT_TRUSTED_PROXIES", "")
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError:
            raise SettingsError(
                f"GEOHUNT_TRUSTED_PROXIES: {item[:60]!r} is not a network in CIDR notation"
                " (e.g. 10.0.0.0/8 or 2001:db8::/32, no host bits set)"
            ) from None
    return tuple(dict.fromkeys(networks))
