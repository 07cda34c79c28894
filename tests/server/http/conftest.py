"""Fixtures of the HTTP layer's tests: the app served with limits of the test's choosing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.admission_app import Served, serve_holding
from tests.support.api import Api
from tests.support.builders import Hunt, make_hunt


@pytest.fixture
def serve_with(
    settings_factory: Any,
) -> Callable[..., contextlib.AbstractAsyncContextManager[Served]]:
    return lambda **changes: serve_holding(settings_factory(**changes))


@pytest.fixture
async def billboard(api: Api) -> tuple[Hunt, dict[str, Any]]:
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    clue = await hunt.clue(collectible=await hunt.collectible(supply=1000))
    return hunt, clue
