"""What the demo prints for a newcomer: the fan app and a link per code to open in a browser,
then numbered curl steps that work when pasted in order, as fast as one pastes: a look at a
code, a scan on the spot, the same code "from home", the social drop, the digital screen's
rotating code claimed at the screen, hints by the AR clue.

A step's comment ends with the answer it gets (`: 201`, `: 422 outside_geofence`); the demo's
test runs the steps as printed and holds each to it.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geopy.distance import geodesic

from infra.settings import Settings
from server.demo import data as demo_data
from server.demo.seeding import Newcomer, Seeded

# Reads a JSON answer's `code` in a shell, with nothing but the python3 geohunt needs anyway.
READ_CODE = "python3 -c 'import json, sys; print(json.load(sys.stdin)[\"code\"])'"


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


def geohunt_command() -> str:
    """How to run this very `geohunt` from where the demo was started: the venv's script
    (a venv that is not activated puts nothing on PATH)."""
    script = Path(sys.executable).with_name("geohunt")
    if not script.is_file():
        return "geohunt"
    try:
        relative = script.relative_to(Path.cwd())
    except ValueError:
        return shlex.quote(str(script))
    return shlex.quote(os.path.join(".", relative) if len(relative.parts) == 1 else str(relative))


def screen_page(base: str, guest: Newcomer, screen: dict[str, Any]) -> str:
    return f"{base}/screens/{demo_data.SLUG}?token={guest.screen_token}&clue={screen['id']}"


def links(
    settings: Settings, guest: Newcomer, seeded: Seeded, code_of: Callable[[int], str]
) -> list[str]:
    """The fan app, and each code's link as its QR code names it (the screen's, which
    changes, is its venue page): what to open in a browser."""
    base = settings.public_base_url
    lines = [f"Fan app: {base}/", "Codes (each opens the fan app on it, ready to claim):"]
    for clue in seeded.clues.values():
        what = f"{clue['collectible']}"
        if clue["kind"] == "billboard":
            lines.append(f"  {clue['city']} billboard, {what}: {base}/c/{code_of(clue['id'])}")
        elif clue["kind"] == "social":
            lines.append(f"  social drop, {what}: {base}/c/{code_of(clue['id'])}")
        elif clue["kind"] == "digital":
            lines.append(
                f"  {clue['city']} screen, {what} (its code changes; the venue page shows it):"
                f" {screen_page(base, guest, clue)}"
            )
    return lines


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
        *links(settings, guest, seeded, code_of),
        "",
        f"API: {api_url}",
        *steps(api_url, settings, organiser, guest, seeded, code_of),
    ]
    # The command line reads GEOHUNT_SECRET itself: give it the one the demo signs with.
    env = f"GEOHUNT_SECRET=$(cat {shlex.quote(str(secret_file))}) " if secret_file else ""
    geohunt = geohunt_command()
    lines += [
        "# More clues in ten more cities, and one broken feature to show the error report:",
        f"#   {env}{geohunt} import-clues examples/ldr-s3-extra-clues.geojson --hunt {slug}",
        "# Another token:",
        f"#   {env}{geohunt} token --role field --sub crew-1 --hunt {slug}",
        "",
    ]
    return "\n".join(lines)


def steps(
    api_url: str,
    settings: Settings,
    organiser: str,
    guest: Newcomer,
    seeded: Seeded,
    code_of: Callable[[int], str],
) -> list[str]:
    """The paste-into-a-shell part: exports, then numbered steps, each ending with the answer
    it gets."""
    scans = showcase_scans(seeded, code_of, settings.public_base_url)
    billboard = seeded.clue(demo_data.SHOWCASE_LABEL)
    [social] = seeded.of_kind("social")
    [screen] = seeded.of_kind("digital")
    slug = demo_data.SLUG
    base = settings.public_base_url
    apart_km = geodesic(
        (billboard["location"]["lat"], billboard["location"]["lon"]),
        (screen["location"]["lat"], screen["location"]["lon"]),
    ).km
    at_screen = {
        "lat": screen["location"]["lat"],
        "lon": screen["location"]["lon"],
        "accuracy_m": demo_data.SHOWCASE_ACCURACY_M,
    }
    first, second = guest.at_billboard, guest.at_screen
    lines = [
        "",
        "# Paste into a shell, in order:",
        f"export GEOHUNT={shlex.quote(api_url)}",
        f"export ORGANISER={organiser}",
        f"export SCREEN={guest.screen_token}",
        f"export HUNTER={first.token}  # hunter {first.hunter_id}, {first.handle}, no wallet yet",
        f"export HUNTER2={second.token}  # hunter {second.hunter_id}, {second.handle},"
        " at the screen",
        "",
        f"# 1. What the {billboard['city']} billboard's code is for, before claiming it (anyone;"
        " never where it is): 200",
        f'curl -s "$GEOHUNT/v1/codes/{scans["at_billboard"]["code"]}"',
        f"# 2. Scan it standing at it ({billboard['collectible']}): 201",
        _scan_curl("HUNTER", scans["at_billboard"]),
        f"# 3. The same code from home, {demo_data.HOME_DISTANCE_M / 1000:g} km away:"
        " 422 outside_geofence",
        _scan_curl("HUNTER", scans["from_home"]),
        f"# 4. The social drop ({social['collectible']}): no location needed: 201",
        _scan_curl("HUNTER", scans["social"]),
        "# 5. Your finds (mint status awaiting_wallet until you sign in with Ethereum): 200",
        'curl -s "$GEOHUNT/v1/me/finds" -H "Authorization: Bearer $HUNTER"',
        "# 6. The hunts a fan can play, and this one with its collectibles (anyone): 200",
        'curl -s "$GEOHUNT/v1/hunts"',
        f'curl -s "$GEOHUNT/v1/hunts/{slug}"',
        f"# 7. What the {screen['city']} screen ({screen['collectible']}) shows now: 200",
        f'curl -s "$GEOHUNT/v1/clues/{screen["id"]}/display" -H "Authorization: Bearer $SCREEN"',
        f"# 8. Its code, claimed at the screen by the second hunter (the billboard is"
        f" {apart_km:.1f} km away: the first hunter there seconds later would be refused"
        " impossible_travel). Paste both lines: a code lasts its step and the next: 201",
        f'CODE=$(curl -s "$GEOHUNT/v1/clues/{screen["id"]}/display"'
        f' -H "Authorization: Bearer $SCREEN" | {READ_CODE})',
        _scan_curl("HUNTER2", {"code": "$CODE", **at_screen}),
        "# 9. The leaderboard (anyone): 200",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}/leaderboard"',
        "# 10. The organisers' ratings: per episode, on-site/online, cities, alerts: 200",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}/stats" -H "Authorization: Bearer $ORGANISER"',
    ]
    for ar in seeded.of_kind("ar")[:1]:
        spot = ar["location"]
        lines += [
            f"# 11. Hints for the camera view, standing by the {ar['city']} AR clue"
            f" ({ar['collectible']}): its anchor and a 5-minute ticket, sent as `code` to"
            " /v1/scans from there: 200",
            f'curl -s "$GEOHUNT/v1/hunts/{slug}/nearby?lat={spot["lat"]}&lon={spot["lon"]}'
            '&accuracy_m=10" -H "Authorization: Bearer $HUNTER"',
        ]
    lines += [
        "",
        "# In a browser, the organisers' ratings page (the screen's link above is the venue",
        "# page: leaderboard, finds per episode, the latest finds and the rotating code):",
        f"#   {base}/organisers/{slug}?token={organiser}",
        "",
    ]
    return lines


def _scan_curl(hunter: str, body: dict[str, Any]) -> str:
    data = shlex.quote(json.dumps(body))
    if body["code"] == "$CODE":
        # The code is the shell's: outside the single quotes, inside double ones.
        data = data.replace('"$CODE"', '"\'"$CODE"\'"')
    return (
        f'curl -s -X POST "$GEOHUNT/v1/scans" -H "Authorization: Bearer ${hunter}"'
        " -H 'Content-Type: application/json' \\\n     -d " + data
    )
