"""`geohunt demo`: its data (real places, the nine episodes) and its seeding through the API."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shapely.geometry import Point, Polygon

from hunt_engine.codes import static_code
from server.demo import data as demo_data
from server.demo import guide
from server.demo import run as demo
from server.http.auth import Role
from tests.support.api import Api, bearer

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "ldr-s3-extra-clues.geojson"

EPISODES = [
    "Three Robots: Exit Strategies",
    "Bad Travelling",
    "The Very Pulse of the Machine",
    "Night of the Mini Dead",
    "Kill Team Kill",
    "Swarm",
    "Mason's Rats",
    "In Vaulted Halls Entombed",
    "Jibaro",
]

# City centres (city hall or the usual centre point), to catch a swapped or mistyped coordinate.
CITY_CENTRES = {
    "Los Angeles": (34.0537, -118.2428),
    "New York": (40.7128, -74.0060),
    "London": (51.5074, -0.1278),
    "Tokyo": (35.6812, 139.7671),
    "Berlin": (52.5200, 13.4050),
    "Toronto": (43.6532, -79.3832),
    "Seoul": (37.5665, 126.9780),
    "Sydney": (-33.8688, 151.2093),
    "Melbourne": (-37.8136, 144.9631),
    "Paris": (48.8566, 2.3522),
    "Madrid": (40.4168, -3.7038),
    "Amsterdam": (52.3676, 4.9041),
    "Mexico City": (19.4326, -99.1332),
    "Chicago": (41.8781, -87.6298),
    "Las Vegas": (36.1699, -115.1398),
    "Hong Kong": (22.2793, 114.1628),
    "Manchester": (53.4808, -2.2426),
    "São Paulo": (-23.5505, -46.6333),
}


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def test_nine_episodes_one_collectible_each() -> None:
    assert [c["name"] for c in demo_data.COLLECTIBLES] == EPISODES
    keys = [c["key"] for c in demo_data.COLLECTIBLES]
    assert keys[0] == "three-robots-exit-strategies" and len(set(keys)) == 9
    assert all(c["image_url"].startswith("https://") for c in demo_data.COLLECTIBLES)
    assert sum("supply" in c for c in demo_data.COLLECTIBLES) >= 2
    assert {c.collectible for c in demo_data.CLUES} <= set(keys)


def test_clues_are_real_places() -> None:
    billboards = [c for c in demo_data.CLUES if c.kind == "billboard"]
    assert len({c.city for c in billboards}) >= 4
    assert [c.kind for c in demo_data.CLUES].count("digital") == 1
    assert [c.kind for c in demo_data.CLUES].count("social") == 1
    assert len({c.label for c in demo_data.CLUES}) == len(demo_data.CLUES)
    for clue in demo_data.CLUES:
        if clue.kind == "social":
            assert clue.lat is None and clue.polygon is None
            continue
        assert clue.lat is not None and clue.lon is not None and clue.city
        assert -90 <= clue.lat <= 90 and -180 <= clue.lon <= 180
        distance = haversine_m((clue.lat, clue.lon), CITY_CENTRES[clue.city])
        assert distance < 30_000, (clue.label, distance)
        if clue.polygon is None:
            assert clue.radius_m is not None and 50 <= clue.radius_m <= 150
        else:
            shape = Polygon(clue.polygon)
            assert shape.is_valid and clue.polygon[0] == clue.polygon[-1]
            assert shape.contains(Point(clue.lon, clue.lat))
    assert sum(c.polygon is not None for c in demo_data.CLUES) == 1


def test_social_window_surrounds_now() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    [social] = [c for c in demo_data.CLUES if c.kind == "social"]
    body = social.body(now)
    start = datetime.fromisoformat(body["active_from"])
    end = datetime.fromisoformat(body["active_until"])
    assert start < now < end and "location" not in body and "geofence" not in body


def test_example_file_has_one_broken_feature() -> None:
    collection = json.loads(EXAMPLE.read_text())
    assert collection["type"] == "FeatureCollection"
    keys = {c["key"] for c in demo_data.COLLECTIBLES}
    points = [f for f in collection["features"] if f["geometry"]["type"] == "Point"]
    polygons = [f for f in collection["features"] if f["geometry"]["type"] == "Polygon"]
    assert len(points) >= 10 and len(polygons) == 1
    for feature in points:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        assert props["kind"] == "billboard" and props["collectible"] in keys
        assert 50 <= props["radius_m"] <= 150
        assert haversine_m((lat, lon), CITY_CENTRES[props["city"]]) < 30_000, props["label"]
    [ring] = polygons[0]["geometry"]["coordinates"]
    assert not Polygon(ring).is_valid  # the bow tie that import-clues reports


async def test_demo_seeds_through_the_api(api: Api, tmp_path: Path) -> None:
    organiser, _ = api.issuer.issue(Role.ORGANISER, "demo-test", 3600)
    now = datetime.now(UTC)
    seeded = await demo.seed(api.client, organiser, now)
    assert list(seeded.clues) == [c.label for c in demo_data.CLUES]
    assert [c["name"] for c in seeded.hunt["collectibles"]] == EPISODES

    again = await demo.seed(api.client, organiser, now)
    assert again.created == {"hunt": 0, "collectibles": 0, "clues": 0}
    assert [c["id"] for c in again.clues.values()] == [c["id"] for c in seeded.clues.values()]

    files = await demo.write_codes(api.client, organiser, seeded, tmp_path)
    names = {p.name for p in files}
    assert "los-angeles-three-robots-exit-strategies.svg" in names
    assert "social-masons-rats.png" in names
    assert "display-los-angeles-the-very-pulse-of-the-machine.png" in names
    assert all(p.read_bytes()[:4] in (b"\x89PNG", b"<?xm", b"<svg") for p in files)

    guest = await demo.newcomer(api.client, organiser)
    hunter = bearer(guest.at_billboard.token)

    def code_of(clue_id: int) -> str:
        return static_code(api.settings.qr_keyring, clue_id)

    scans = demo.showcase_scans(seeded, code_of, api.settings.public_base_url)
    _, found = await api.call("POST", "/v1/scans", 201, headers=hunter, json=scans["at_billboard"])
    assert found["find"]["collectible"]["key"] == "three-robots-exit-strategies"
    _, refused = await api.call("POST", "/v1/scans", 422, headers=hunter, json=scans["from_home"])
    assert refused["code"] == "outside_geofence"
    await api.call("POST", "/v1/scans", 201, headers=hunter, json=scans["social"])
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=hunter)
    assert [f["collectible"]["key"] for f in finds] == [
        "three-robots-exit-strategies",
        "masons-rats",
    ]

    [screen] = seeded.of_kind("digital")
    screen_auth = bearer(guest.screen_token)
    await api.call("GET", f"/v1/clues/{screen['id']}/display", 200, headers=screen_auth)
    text = demo.instructions(
        "http://127.0.0.1:8080", api.settings, organiser, guest, seeded, code_of, tmp_path, files
    )
    assert guest.at_billboard.token in text and guest.at_screen.token in text
    assert "outside_geofence" in text


# --- the printed guide, followed as printed ----------------------------------------------------

STEP = re.compile(r"^# (\d+)\. ")
# A step's comment ends with the answer it gets: `: 201`, `: 422 outside_geofence`.
EXPECTED = re.compile(r": (\d{3})(?: ([a-z_]+))?$")
# A link to open (not a URL inside a command): the last word of its line.
LINK = re.compile(r"(?:^|\s)(https?://[^\s'\"]+)$")
# Every curl the steps run goes through this: its step, status and answer are logged, and the
# answer is printed as curl prints it (so that `CODE=$(curl ...)` reads what it would).
CURL_LOG = r"""
curl() {
  local out status
  out=$(command curl -w '\n%{http_code}' "$@")
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  printf '@@call %s %s\n%s\n' "$STEP" "$status" "$out" >> "$CALLS"
  printf '%s\n' "$out"
}
"""


@dataclass
class Step:
    number: int
    comment: str
    commands: list[str] = field(default_factory=list)


def pasted(text: str) -> tuple[list[str], list[Step]]:
    """The guide's paste-into-a-shell part: its exports, then its numbered steps."""
    block = text.partition("# Paste into a shell, in order:\n")[2]
    block = block.partition("\n# In a browser")[0]
    exports: list[str] = []
    found: list[Step] = []
    pending = ""
    for raw in block.splitlines():
        line, pending = pending + raw, ""
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        step = STEP.match(line)
        if step is not None:
            found.append(Step(int(step[1]), line))
        elif line.startswith("export "):
            exports.append(line)
        elif line.strip() and not line.startswith("#"):
            assert found, f"a command before the first step: {line}"
            found[-1].commands.append(line)
    return exports, found


def calls_of(log: str) -> list[tuple[int, int, str]]:
    """(step, status, answer) of every curl the steps ran, in order."""
    out = []
    for record in log.split("@@call ")[1:]:
        head, _, body = record.partition("\n")
        step, status = head.split()
        out.append((int(step), int(status), body.rstrip("\n")))
    return out


async def test_every_printed_step_works_when_pasted_in_order(api: Api, tmp_path: Path) -> None:
    """The guide as printed, pasted into bash step after step with no pause (as fast as anyone
    pastes): every step gets the answer its comment promises, and every link it prints opens."""
    organiser, _ = api.issuer.issue(Role.ORGANISER, "demo-test", 3600)
    seeded = await demo.seed(api.client, organiser, datetime.now(UTC))
    guest = await demo.newcomer(api.client, organiser)

    def code_of(clue_id: int) -> str:
        return static_code(api.settings.qr_keyring, clue_id)

    server = str(api.client.make_url("")).rstrip("/")
    text = demo.instructions(server, api.settings, organiser, guest, seeded, code_of, tmp_path, [])
    exports, steps = pasted(text)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    names = {e.partition("=")[0].removeprefix("export ") for e in exports}
    assert names == {"GEOHUNT", "ORGANISER", "SCREEN", "HUNTER", "HUNTER2"}
    script = [CURL_LOG, *exports]
    for step in steps:
        assert step.commands, step.comment
        script += [f"export STEP={step.number}", *step.commands]
    calls = tmp_path / "calls.log"
    process = await asyncio.create_subprocess_exec(
        "bash",
        "--noprofile",
        "--norc",
        "-c",
        "\n".join(script),
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CALLS": str(calls)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    ran = calls_of(calls.read_text())
    for step in steps:
        answers = [(status, body) for number, status, body in ran if number == step.number]
        assert len(answers) == sum(c.count("curl ") for c in step.commands), step.comment
        expected = EXPECTED.search(step.comment)
        assert expected is not None, f"say what this step answers: {step.comment}"
        *before, (status, body) = answers
        assert all(200 <= s < 300 for s, _ in before), (step.comment, before)
        assert status == int(expected[1]), (step.comment, status, body)
        if expected[2]:
            assert json.loads(body)["code"] == expected[2], (step.comment, body)
    # The screen's code was claimed, at the screen, by the second hunter.
    [screen] = seeded.of_kind("digital")
    claims = [json.loads(body) for _, status, body in ran if status == 201]
    assert screen["id"] in {c["find"]["clue_id"] for c in claims}

    # Every link opens: the fan app, each code's page (and what the code is for), the screen.
    base = api.settings.public_base_url
    shown = [LINK.search(line) for line in text.splitlines()]
    urls = [m[1] for m in shown if m is not None and m[1].startswith(base)]
    codes = [u for u in urls if "/c/" in u]
    assert f"{base}/" in urls and any("/screens/" in u for u in urls)
    assert len(codes) == len(seeded.of_kind("billboard")) + len(seeded.of_kind("social"))
    for url in urls:
        await api.call("GET", url.removeprefix(base), 200)
    for url in codes:
        _, answer = await api.call("GET", "/v1/codes/" + url.rpartition("/c/")[2], 200)
        assert answer["active"] is True and "location" not in answer["clue"]


def test_the_guide_names_the_geohunt_of_this_venv() -> None:
    """A venv that is not activated puts no `geohunt` on PATH: the guide names the script."""
    command = guide.geohunt_command()
    assert command.endswith("geohunt") and command != "geohunt", command


def test_demo_settings_use_the_dev_secret_and_a_local_url(tmp_path: Path) -> None:
    any_address = "0.0.0.0"  # noqa: S104 - the URL it gets, nothing binds here
    env = {"GEOHUNT_STATE_DIR": str(tmp_path)}
    settings = demo.demo_settings(any_address, 8099, env)
    assert settings.secret == (tmp_path / "dev-secret").read_text().strip().encode()
    # A name, not an IP: a passkey's relying party is a domain.
    assert settings.public_base_url == "http://localhost:8099"
    for loopback in ("127.0.0.1", "::1", "localhost"):
        assert demo.demo_settings(loopback, 8080, env).public_base_url == "http://localhost:8080"
    # An address chosen to be reached from elsewhere (phones on the network) is kept.
    lan = demo.demo_settings("192.168.1.20", 8080, env)
    assert lan.public_base_url == "http://192.168.1.20:8080"
    given = demo.demo_settings(any_address, 8080, {**env, "PUBLIC_BASE_URL": "https://h.example"})
    assert given.public_base_url == "https://h.example"
