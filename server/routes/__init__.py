"""Route modules register themselves in `server.http.routing.ROUTES` when imported."""

from __future__ import annotations

import importlib

MODULES = (
    "ops",
    "identity",
    "hunts",
    "clues",
    "scans",
    "nearby",
    "live",
    "screens",
    "stats",
    "ratings",
    "fans",
)


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(f"server.routes.{name}")
