"""Many calls of one Lua script in one round trip, on a single Redis or a cluster.

Each call names its own keys, all in one hash slot; a pipeline (never a transaction) carries
them, and on a cluster redis-py splits it by node, so calls of different slots may go
together. A Redis that lost its scripts (restarted, flushed, or a replica just promoted) answers
NOSCRIPT: the script is loaded again (on every primary of a cluster) and only the calls that
found none, which ran for nobody, are sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    is raised)."""
    if len(calls) == 1:
        return [await guarded(script(keys=calls[0].keys, args=calls[0].args))]
    answers = await guarded(_pipelined(redis, script, calls))
    missing = [i for i, a in enumerate(answers) if isinstance(a, NoScriptError)]
    if missing:
        script.sha = await guarded(redis.script_load(script.script))
        again = await guarded(_pipelined(redis, script, [calls[i] for i in missing]))
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


async def _pipelined(
    redis: RedisClient, script: AsyncScript, calls: Sequence[ScriptCall]
) -> list[Any]:
    async with redis.pipeline(transaction=False) as pipe:
        for call in calls:
            # As a raw command: redis-py refuses `evalsha` in a cluster's pipeline, for fear
            # of NOSCRIPT, which is handled here.
            pipe.execute_command("EVALSHA", script.sha, len(call.keys), *call.keys, *call.args)
        return list(await pipe.execute(raise_on_error=False))
