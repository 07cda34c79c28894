"""Commands to a single Redis written by hiredis, in C.

redis-py's synchronous client packs commands with hiredis when it is installed; its asyncio
client always packs them in Python, argument by argument. A scan group's gate call (16 scans,
115 arguments) took 68 us to pack that way and 11 us by hiredis; a relay call of 16 live events
42 us and 9 us. The bytes are the same (tests/infra/test_redis_packing.py checks it over random
commands). A value hiredis refuses (None, a bool) goes to redis-py's packer, which refuses it
with its own DataError, as before.

Only the plain client uses these connections: redis-py's cluster client picks its connection
class itself.
"""

from __future__ import annotations

from typing import Any

import hiredis
from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)


class _HiredisPacking(AbstractConnection):
    def pack_command(self, *args: Any) -> list[bytes]:
        head = args[0]
        # As redis-py: a command name of several words ('CONFIG GET') is sent as several.
        if isinstance(head, str):
            args = (*head.encode().split(), *args[1:])
        elif b" " in head:
            args = (*head.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            return super().pack_command(*args)  # raises redis-py's DataError for it


class PackingConnection(_HiredisPacking, Connection):
    pass


class PackingSSLConnection(_HiredisPacking, SSLConnection):
    pass


class PackingUnixConnection(_HiredisPacking, UnixDomainSocketConnection):
    pass


_PACKING: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: PackingConnection,
    SSLConnection: PackingSSLConnection,
    UnixDomainSocketConnection: PackingUnixConnection,
}


def packing_class(chosen: type[AbstractConnection]) -> type[AbstractConnection]:
    """The class that packs with hiredis in place of `chosen` (the one a URL's scheme picks);
    `chosen` itself when there is none for it."""
    return _PACKING.get(chosen, chosen)
