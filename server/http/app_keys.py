"""Typed keys for what the application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from server.bootstrap.services import Services

SERVICES: web.AppKey[Services] = web.AppKey("services")
