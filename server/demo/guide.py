"""What the demo prints for a newcomer: where to stand, and the curl lines for a scan on the
spot, the same code "from home", the social drop and the digital screen's rotating code."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geopy.distance import geodesic

from infra.settings import Settings
from server.demo import data as demo_data
from server.demo.seeding import Newcomer, Seeded


def home_of(lat: float, lon: float) -> tuple[float, float]:
    """A point HOME_DISTANCE_M due south of (lat, lon)."""
    point = geodesic(meters=demo_data.HOME_DISTANCE_M).destination((lat, lon), bearing=180)
    return round(point.latitude, 6), round(point.longitude, 6)


def showcase_scans(
    seeded: Seeded, code_of: Callable[[int], str], public_base_url: str
) -> dict[str, dict[str, Any]]:
    """The POST /v1/scans bodies the demo prints: at the billboard, from home, the drop."""
    billboard = seeded.clue(demo_data.SHOWCASE_LABEL)
    lat, lon = billboard["location"]["lat"], billboard["location"]["lon"]
    home_lat, home_lon = home_of(lat, lon)
    code = code_of(billboard["id"])
    accuracy = demo_data.SHOWCASE_ACCURACY_M
    [social] = seeded.of_kind("social")
    return {
        "at_billboard": {"code": code, "lat": lat, "lon": lon, "accuracy_m": accuracy},
        "from_home": {"code": code, "lat": home_lat, "lon": home_lon, "accuracy_m": accuracy},
        # The scanned URL works as well as the bare code.
        "social": {"code": f"{public_base_url}/c/{code_of(social['id'])}"},
    }


def instructions(
    api_url: str,
    settings: Settings,
    organiser: str,
    guest: Newcomer,
    seeded: Seeded,
    code_of: Callable[[int], str],
    out: Path,
    files: list[Path],
    secret_file: Path | None = None,
) -> str:
    """What the demo prints. `secret_file`: where the demo's own secret is, if it used one."""
    scans = showcase_scans(seeded, code_of, settings.public_base_url)
    billboard = seeded.clue(demo_data.SHOWCASE_LABEL)
    [social] = seeded.of_kind("social")
    [screen] = seeded.of_kind("digital")
    slug = demo_data.SLUG
    made = seeded.created
    cities = {c["city"] for c in seeded.clues.values() if c["city"]}
    lines = [
        "",
        f"geohunt demo: hunt {slug!r}, {seeded.hunt['name']}",
        f"  seeded: {made.get('hunt', 0)} hunt, {made.get('collectibles', 0)} collectibles,"
        f" {made.get('clues', 0)} clues created"
        + ("" if any(made.values()) else " (everything was there already)")
        + ("; social drop window moved to now-1h..now+7d" if seeded.refreshed else ""),
        f"  clues: {len(seeded.clues)} in {len(cities)} cities: {', '.join(sorted(cities))}",
    ]
    for clue in seeded.clues.values():
        where = clue.get("city") or "online"
        window = ""
        if clue["kind"] == "social":
            window = f", open {clue['active_from']} .. {clue['active_until']}"
        lines.append(
            f"    #{clue['id']:<4} {clue['kind']:<9} {where:<12} {clue['collectible']}{window}"
        )
    lines += [
        f"  printable codes: {len(files)} files in {out}/",
        f"  the screen's code changes every {seeded.hunt['rules']['rotate_s']:g} s:"
        f" its saved display PNG is only a sample",
        "",
        f"API: {api_url}",
    ]
    if settings.public_base_url != api_url:
        lines.append(f"QR codes name: {settings.public_base_url}")
    lines += [
        f"A printed code's page: {settings.public_base_url}/c/{code_of(billboard['id'])}",
        "",
        "# Paste into a shell:",
        f"export GEOHUNT={shlex.quote(api_url)}",
        f"export ORGANISER={organiser}",
        f"export SCREEN={guest.screen_token}",
        f"export HUNTER={guest.hunter_token}  # hunter {guest.hunter_id}, {guest.handle},"
        " no wallet yet",
        "",
        f"# 1. Scan the {billboard['city']} billboard ({billboard['collectible']}) standing"
        " at it: 201, a find",
        _scan_curl(scans["at_billboard"]),
        f"# 2. The same code from home, {demo_data.HOME_DISTANCE_M / 1000:g} km away:"
        " 422 outside_geofence",
        _scan_curl(scans["from_home"]),
        f"# 3. The social drop ({social['collectible']}): no location needed: 201",
        _scan_curl(scans["social"]),
        "# 4. Your finds (mint status awaiting_wallet until you sign in with Ethereum)",
        'curl -s "$GEOHUNT/v1/me/finds" -H "Authorization: Bearer $HUNTER"',
        "# 5. The hunt and its collectibles (anyone)",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}"',
        f"# 6. What the {screen['city']} screen ({screen['collectible']}) shows now",
        f'curl -s "$GEOHUNT/v1/clues/{screen["id"]}/display" -H "Authorization: Bearer $SCREEN"',
        "# Its code counts with a position at the screen, for this step and the next:",
        f"#   lat {screen['location']['lat']}, lon {screen['location']['lon']}",
        "# The venue screen, in a browser: leaderboard, finds per episode, the latest finds",
        "# (the scans above appear at once) and this screen's rotating code:",
        f"#   {api_url}/screens/{slug}?token={guest.screen_token}&clue={screen['id']}",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}/leaderboard"',
        "# The organisers' ratings: per-episode charts, on-site/online, cities, alerts",
        f"#   {api_url}/organisers/{slug}?token={organiser}",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}/stats" -H "Authorization: Bearer $ORGANISER"',
        "",
    ]
    for ar in seeded.of_kind("ar")[:1]:
        spot = ar["location"]
        lines += [
            f"# 7. Hints for the camera view, standing by the {ar['city']} AR clue"
            f" ({ar['collectible']}): its anchor and a 5-minute ticket, sent as `code` to"
            " /v1/scans from there",
            f'curl -s "$GEOHUNT/v1/hunts/{slug}/nearby?lat={spot["lat"]}&lon={spot["lon"]}'
            '&accuracy_m=10" -H "Authorization: Bearer $HUNTER"',
            "",
        ]
    # The command line reads GEOHUNT_SECRET itself: give it the one the demo signs with.
    env = f"GEOHUNT_SECRET=$(cat {shlex.quote(str(secret_file))}) " if secret_file else ""
    lines += [
        "# More clues in ten more cities, and one broken feature to show the error report:",
        f"#   {env}geohunt import-clues examples/ldr-s3-extra-clues.geojson --hunt {slug}",
        "# Another token:",
        f"#   {env}geohunt token --role field --sub crew-1 --hunt {slug}",
        "",
    ]
    return "\n".join(lines)


def _scan_curl(body: dict[str, Any]) -> str:
    return (
        'curl -s -X POST "$GEOHUNT/v1/scans" -H "Authorization: Bearer $HUNTER"'
        " -H 'Content-Type: application/json' \\\n     -d " + shlex.quote(json.dumps(body))
    )
