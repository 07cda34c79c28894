"""Reading one value from the environment, and the error every part of the settings raises."""

from __future__ import annotations

from collections.abc import Mapping


class SettingsError(RuntimeError):
    """The environment does not describe a runnable server."""


def integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None
    if not low <= value <= high:  # also refuses nan
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value
