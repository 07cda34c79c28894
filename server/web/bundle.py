"""The built web apps (web/dist/, made by `npm run build` in `make setup`), read once and served
from memory: each file with its gzip twin, its type and how long a browser may keep it."""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from hunt_engine.errors import NotFound

# esbuild names what it bundles `name-HASH.ext` (8 upper-case letters or digits): such a file
# never changes, so it may be kept for a year; anything else is revalidated.
HASHED = re.compile(r"-[A-Z0-9]{8}\.(js|css)$")
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".html": "text/html",
}


class WebAppsMissing(NotFound):
    """The web apps are not built."""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    immutable: bool


@dataclass(frozen=True, slots=True)
class WebApp:
    name: str
    version: str
    assets: dict[str, Asset]

    def asset(self, name: str) -> Asset:
        found = self.assets.get(name)
        if found is None:
            raise NotFound(f"no such file: {name[:80]!r}")
        return found

    @property
    def shell(self) -> Asset:
        return self.asset("index.html")


def _asset(path: Path) -> Asset:
    gz = path.with_name(path.name + ".gz")
    kind = (
        TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return Asset(
        body=path.read_bytes(),
        gzipped=gz.read_bytes() if gz.exists() else None,
        content_type=kind,
        immutable=HASHED.search(path.name) is not None,
    )


def load(dist: Path) -> dict[str, WebApp]:
    """Every app listed in `dist/assets.json`; WebAppsMissing when the build has not run."""
    index = dist / "assets.json"
    if not index.exists():
        raise WebAppsMissing(f"{index} is missing: run `make setup` (it builds the web apps)")
    apps = json.loads(index.read_text())["apps"]
    loaded = {}
    for name, spec in apps.items():
        folder = dist / name
        files = [*spec["files"], "index.html"] + (["sw.js"] if (folder / "sw.js").exists() else [])
        loaded[name] = WebApp(name, spec["version"], {f: _asset(folder / f) for f in files})
    return loaded
