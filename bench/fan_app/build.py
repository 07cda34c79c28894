"""The built fan app the server sends: `web/dist/` as `make setup` leaves it (`npm run build`).

The server reads the build once, at its first page; the benchmark notes which build that was
and the compressed size of each file of the shell, as the server sends them (the .gz twins)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.scratch import REPOSITORY

DIST = REPOSITORY / "web" / "dist"
APP = "fan"


def built_app(dist: Path = DIST) -> dict[str, Any]:
    """The fan app's build: its version, entry script and style sheet, and every shell file's
    size as sent (gzip) and unpacked. SystemExit when the app is not built."""
    index = dist / "assets.json"
    if not index.exists():
        raise SystemExit(f"{index} is missing: run `make setup` (it builds the web apps)")
    spec = json.loads(index.read_text())["apps"][APP]
    folder = dist / APP
    sizes = {}
    for name in [*spec["files"], "index.html", "sw.js"]:
        path = folder / name
        if path.exists():
            gz = path.with_name(path.name + ".gz")
            packed = gz.stat().st_size if gz.exists() else path.stat().st_size
            sizes[name] = {"gzip": packed, "raw": path.stat().st_size}
    return {
        "version": spec["version"],
        "script": spec["script"],
        "style": spec["style"],
        "files": sizes,
    }


def precached(build: dict[str, Any]) -> dict[str, int]:
    """What the service worker fetches to keep the shell once it is registered (every shell file
    and the page), compressed: all of it, and its scripts and style sheets."""
    files = build["files"]
    kept = [name for name in files if name != "sw.js"]
    code = [name for name in kept if name.endswith((".js", ".css"))]
    return {
        "files": len(kept),
        "bytes": sum(files[n]["gzip"] for n in kept),
        "js_css_bytes": sum(files[n]["gzip"] for n in code),
    }
