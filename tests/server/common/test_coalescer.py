"""Group-and-send: a lone call goes at once, calls that arrive meanwhile go together in order,
each caller gets its own answer or error, and a caller that leaves does not take its item."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from server.common.coalescer import Coalescer


class Server:
    """A server that answers each item doubled, refuses negative ones, and can be held."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail: BaseException | None = None

    async def send(self, items: list[int]) -> Sequence[int | BaseException]:
        self.groups.append(list(items))
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return [ValueError(i) if i < 0 else 2 * i for i in items]


async def test_a_lone_call_goes_at_once_and_later_ones_go_together_in_order() -> None:
    server = Server()
    calls = Coalescer(server.send, max_group=3)
    assert await calls.call(1) == 2
    server.release.clear()
    first = asyncio.create_task(calls.call(10))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(calls.call(n)) for n in range(20, 25)]
    await asyncio.sleep(0)
    server.release.set()
    assert await first == 20
    assert await asyncio.gather(*rest) == [40, 42, 44, 46, 48]
    assert server.groups == [[1], [10], [20, 21, 22], [23, 24]]
    assert list(calls.sizes) == [1, 1, 3, 2]


async def test_each_caller_gets_its_own_error_or_the_groups() -> None:
    server = Server()
    calls = Coalescer(server.send)
    answers = await asyncio.gather(calls.call(1), calls.call(-1), return_exceptions=True)
    assert answers[0] == 2 and isinstance(answers[1], ValueError)
    server.fail = ConnectionError("gone")
    answers = await asyncio.gather(calls.call(1), calls.call(2), return_exceptions=True)
    assert [type(a) for a in answers] == [ConnectionError, ConnectionError]


async def test_a_caller_that_leaves_does_not_take_its_item() -> None:
    server = Server()
    server.release.clear()
    calls = Coalescer(server.send)
    leaving = asyncio.create_task(calls.call(-5))  # its answer would be an error
    staying = asyncio.create_task(calls.call(7))
    await asyncio.sleep(0)
    leaving.cancel()
    await asyncio.sleep(0)
    server.release.set()
    assert await staying == 14
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert server.groups == [[-5, 7]]
