"""The event loop the processes run on (infra/event_loop.py), chosen by GEOHUNT_EVENT_LOOP."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from infra.event_loop import loop_factory, run
from infra.settings import Settings, SettingsError


def settings(**env: str) -> Settings:
    return Settings.from_env({"GEOHUNT_SECRET": "s" * 40, **env})


async def running_loop_type() -> type:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_uvloop_unless_asyncio_is_asked_for() -> None:
    assert settings().event_loop == "uvloop"
    assert settings(GEOHUNT_EVENT_LOOP="").event_loop == "uvloop"
    assert settings(GEOHUNT_EVENT_LOOP="asyncio").event_loop == "asyncio"
    assert run(running_loop_type(), settings().event_loop) is uvloop.Loop
    assert issubclass(run(running_loop_type(), "asyncio"), asyncio.BaseEventLoop)


async def test_asyncio_is_asyncios_own_loop_even_where_uvloops_policy_is_set() -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)  # the test session's policy
    loop = loop_factory("asyncio")()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop)
    finally:
        loop.close()


def test_a_loop_factory_makes_a_new_loop_each_time() -> None:
    make = loop_factory("uvloop")
    first, second = make(), make()
    try:
        assert isinstance(first, uvloop.Loop) and first is not second
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("value", ["UVLOOP", "trio", "uvloop "])
def test_an_unknown_loop_is_refused_at_start_up(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(GEOHUNT_EVENT_LOOP=value)
    assert str(caught.value) == "GEOHUNT_EVENT_LOOP must be one of uvloop, asyncio"
    with pytest.raises(ValueError, match="unknown event loop"):
        loop_factory(value)
