"""Reading one value from the environment, and the error every part of the settings raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

Bounded = TypeVar("Bounded", int, float)


class SettingsError(RuntimeError):
    """The environment does not describe a runnable server."""


def integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    return _bounded(env, name, default, low, high, int, "an integer")


def number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    return _bounded(env, name, default, low, high, float, "a number")


def choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    """Variable `name`, one of `allowed`; `default` when unset or empty."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}")
    return raw


def _bounded(
    env: Mapping[str, str],
    name: str,
    default: Bounded,
    low: Bounded,
    high: Bounded,
    parse: Callable[[str], Bounded],
    kind: str,
) -> Bounded:
    """Variable `name` parsed, between `low` and `high` inclusive; `default` when unset or
    empty. The errors name the variable and what it must be, never only "invalid"."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {kind}") from None
    if not low <= value <= high:  # also refuses nan
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value
