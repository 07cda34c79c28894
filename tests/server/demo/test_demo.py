"""`geohunt demo`: its data (real places, the nine episodes) and its seeding through the API."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

from shapely.geometry import Point, Polygon

from hunt_engine.codes import static_code
from server.demo import data as demo_data
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
    hunter = bearer(guest.hunter_token)

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
    assert guest.hunter_token in text and "outside_geofence" in text


def test_demo_settings_use_the_dev_secret_and_a_local_url(tmp_path: Path) -> None:
    any_address = "0.0.0.0"  # noqa: S104 - the URL it gets, nothing binds here
    settings = demo.demo_settings(any_address, 8099, {"GEOHUNT_STATE_DIR": str(tmp_path)})
    assert settings.secret == (tmp_path / "dev-secret").read_text().strip().encode()
    assert settings.public_base_url == "http://127.0.0.1:8099"
