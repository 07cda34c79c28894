"""Group-and-send: calls that wait at the same moment go to a server together.

The classic group-commit loop, shared by the scan path's three round trips (the claims to
PostgreSQL, the gate's and the leaderboard's scripts to Redis). A call that finds nothing in
flight is sent at once, so a lone call never waits; calls that arrive while a group is in flight
gather and go together in the next, in arrival order and at most `max_group` at a time. Each
caller gets its own answer, or its own error.

`send(items)` answers each item in order, with its answer or the exception that item met. When
`send` raises (or, with `timeout_s`, takes longer) every item of the group gets that error. A
caller that goes away does not take its item with it: the item may already be in a group.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

Send = Callable[[list[In]], Awaitable[Sequence[Out | BaseException]]]


class Coalescer(Generic[In, Out]):
    def __init__(
        self, send: Send[In, Out], max_group: int = 64, timeout_s: float | None = None
    ) -> None:
        self._send = send
        self._max_group = max_group
        self._timeout_s = timeout_s
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._sender: asyncio.Task[None] | None = None
        # How many items each group held (the last few thousand; for tests and metrics).
        self.sizes: deque[int] = deque(maxlen=4096)

    async def call(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_all())
        # A caller cancelled here cancels its own future only; its item, already waiting or
        # in a group, is sent all the same, and its answer is dropped (`_settle`).
        return await future

    async def _send_all(self) -> None:
        try:
            while self._waiting:
                group = self._waiting[: self._max_group]
                del self._waiting[: self._max_group]
                self.sizes.append(len(group))
                try:
                    async with asyncio.timeout(self._timeout_s):
                        answers = await self._send([item for item, _ in group])
                except BaseException as err:
                    for _, future in group:
                        _settle(future, error=err)
                    if isinstance(err, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), answer in zip(group, answers, strict=True):
                    if isinstance(answer, BaseException):
                        _settle(future, error=answer)
                    else:
                        _settle(future, answer=answer)
        finally:
            self._sender = None
            # Cancelled (the loop is closing): nobody is left waiting forever.
            for _, future in self._waiting:
                future.cancel()
            self._waiting.clear()


def _settle(
    future: asyncio.Future[Out], *, answer: Out | None = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
        with contextlib.suppress(BaseException):
            # Retrieved here so that a caller that went away leaves no "never retrieved" warning.
            future.exception()
    else:
        future.set_result(answer)  # type: ignore[arg-type]
