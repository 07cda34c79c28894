"""Many calls of one Lua script in one round trip, on a single Redis or a cluster.

Each call names its own keys, all in one hash slot; a pipeline (never a transaction) carries
them, and on a cluster redis-py splits it by node, so calls of different slots may go
together. A Redis that lost its scripts (restarted, flushed, or a replica just promoted: Redis 7
does not replicate them) answers NOSCRIPT: only the calls that met it, which ran for nobody, are
sent again as EVAL with the script's text, which runs it and loads it on the very node that
serves the call's slot. No SCRIPT LOAD "on every primary": that list is the client's idea of
the cluster, and after a failover or a reshard some redis-py releases have had it wrong (see
tests/infra/test_redis_scripts_on_cluster.py), so a node missing from it met NOSCRIPT for good.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from infra.redis_client import RedisClient, guarded


def register_script(redis: RedisClient, text: str) -> AsyncScript:
    """The script, for either kind of client (redis-py types it for the plain one only)."""
    return AsyncScript(cast(Any, redis), text)


@dataclass(frozen=True, slots=True)
class ScriptCall:
    keys: Sequence[str]
    args: Sequence[Any]


async def run_script(
    redis: RedisClient, script: AsyncScript, calls: Sequence[ScriptCall]
) -> list[Any]:
    """Each call's answer, or the error it met, in order (an error of the round trip itself
    is raised, and so is a lone call's own error)."""
    if len(calls) == 1:
        try:
            return [await guarded(_call(redis, "EVALSHA", script.sha, calls[0]))]
        except NoScriptError:
            return [await guarded(_call(redis, "EVAL", script.script, calls[0]))]
    answers = await guarded(_pipelined(redis, "EVALSHA", script.sha, calls))
    missing = [i for i, a in enumerate(answers) if isinstance(a, NoScriptError)]
    if missing:
        again = await guarded(_pipelined(redis, "EVAL", script.script, [calls[i] for i in missing]))
        for i, answer in zip(missing, again, strict=True):
            answers[i] = answer
    return answers


async def run_script_or_raise(
    redis: RedisClient, script: AsyncScript, calls: Sequence[ScriptCall]
) -> list[Any]:
    """As `run_script`, raising the first error any call met."""
    answers = await run_script(redis, script, calls)
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
    return answers


def _command(command: str, body: Any, call: ScriptCall) -> tuple[Any, ...]:
    """EVALSHA with the script's digest, or EVAL with its text; routed by the call's keys."""
    return (command, body, len(call.keys), *call.keys, *call.args)


def _call(redis: RedisClient, command: str, body: Any, call: ScriptCall) -> Awaitable[Any]:
    return redis.execute_command(*_command(command, body, call))


async def _pipelined(
    redis: RedisClient, command: str, body: Any, calls: Sequence[ScriptCall]
) -> list[Any]:
    async with redis.pipeline(transaction=False) as pipe:
        for call in calls:
            # As raw commands: redis-py refuses `evalsha` in a cluster's pipeline, for fear
            # of NOSCRIPT, which is handled here.
            pipe.execute_command(*_command(command, body, call))
        return list(await pipe.execute(raise_on_error=False))
