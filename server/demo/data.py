"""What `geohunt demo` seeds: a hunt modelled on Love, Death + Robots volume 3. Pure data.

Every body here is sent as is through the HTTP API (see docs/API.md), so the demo
exercises the same contract as the apps. Coordinates are WGS84 and name the real places; the
one time-dependent piece, the social drop's window, is computed from the `now` of each run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SLUG = "ldr-s3"
# Where the collectibles' art would live elsewhere: a stand-in for the `image_url` a collectible
# is created with, replaced at once by the art the demo draws and uploads (seeding.seed_art).
IMAGE_BASE = "https://media.geohunt.example/ldr-s3"

HUNT: dict[str, Any] = {
    "slug": SLUG,
    "name": "Love, Death + Robots: Volume 3",
    "description": (
        "Nine episodes, nine collectibles. Codes hide on billboards in cities around the world, "
        "on a premiere screen that changes its code every 30 seconds, and in a short-lived "
        "drop online. Find one, keep it forever as an NFT."
    ),
    # Volume 3 came out on 20 May 2022 (midnight in Los Angeles); the hunt never closes.
    "starts_at": "2022-05-20T07:00:00Z",
    "ends_at": "2099-12-31T23:59:59Z",
    "rules": {"rotate_s": 30, "max_accuracy_m": 100, "fence_tolerance_m": 30},
}

# (key, name, episode, description, supply): one per episode, in the volume's order.
_EPISODES: tuple[tuple[str, str, str, str, int | None], ...] = (
    (
        "three-robots-exit-strategies",
        "Three Robots: Exit Strategies",
        "S3E1",
        "The three robot tourists are back, touring the ruins of the ways humans tried to "
        "outlive their own end.",
        None,
    ),
    (
        "bad-travelling",
        "Bad Travelling",
        "S3E2",
        "A shark-hunting ship, a giant crab below deck, and a crewman who has to choose who "
        "gets eaten.",
        250,
    ),
    (
        "the-very-pulse-of-the-machine",
        "The Very Pulse of the Machine",
        "S3E3",
        "Stranded on Io and dragging her partner's body, an astronaut hears the moon start to "
        "talk back.",
        None,
    ),
    (
        "night-of-the-mini-dead",
        "Night of the Mini Dead",
        "S3E4",
        "A zombie apocalypse, sped up and shrunk to tilt-shift size, from a graveyard to the "
        "end of the world.",
        None,
    ),
    (
        "kill-team-kill",
        "Kill Team Kill",
        "S3E5",
        "A squad of loud-mouthed soldiers against a cyborg grizzly bear built by their own side.",
        None,
    ),
    (
        "swarm",
        "Swarm",
        "S3E6",
        "Two scientists study an alien hive that has never met a species it could not put to work.",
        500,
    ),
    (
        "masons-rats",
        "Mason's Rats",
        "S3E7",
        "A Scottish farmer buys a robot to clear his barn of rats that have learnt to fight back.",
        None,
    ),
    (
        "in-vaulted-halls-entombed",
        "In Vaulted Halls Entombed",
        "S3E8",
        "Special forces chase terrorists into a cave and find something ancient waiting to be "
        "woken.",
        None,
    ),
    (
        "jibaro",
        "Jibaro",
        "S3E9",
        "A deaf knight, a siren of gold and jewels, and a lake where neither can stay untouched.",
        100,
    ),
)

COLLECTIBLES: tuple[dict[str, Any], ...] = tuple(
    {
        "key": key,
        "name": name,
        "episode": episode,
        "image_url": f"{IMAGE_BASE}/{episode.lower()}-{key}.png",
        "description": description,
        **({"supply": supply} if supply is not None else {}),
    }
    for key, name, episode, description, supply in _EPISODES
)
EPISODE_NAMES: tuple[str, ...] = tuple(c["name"] for c in COLLECTIBLES)

# The social drop is posted from an hour before the demo runs until a week after.
SOCIAL_OPENS_BEFORE = timedelta(hours=1)
SOCIAL_CLOSES_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ClueSpec:
    kind: str  # billboard, digital, social or ar
    collectible: str
    label: str  # unique within the demo: re-runs find their clues by label
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    # [lon, lat] ring of a GeoJSON Polygon geofence, first point repeated last.
    polygon: tuple[tuple[float, float], ...] | None = None
    ar_asset: str | None = None  # an AR clue's model, drawn where it stands

    def body(self, now: datetime) -> dict[str, Any]:
        """The POST /v1/hunts/{slug}/clues body; `now` (aware) places a social drop's window."""
        body: dict[str, Any] = {
            "kind": self.kind,
            "collectible": self.collectible,
            "label": self.label,
        }
        if self.city is not None:
            body["city"] = self.city
        if self.lat is not None and self.lon is not None:
            body["location"] = {"lat": self.lat, "lon": self.lon}
        if self.polygon is not None:
            body["geofence"] = {
                "type": "Polygon",
                "coordinates": [[list(point) for point in self.polygon]],
            }
        elif self.radius_m is not None:
            body["geofence"] = {"radius_m": self.radius_m}
        if self.ar_asset is not None:
            body["ar"] = {"asset_url": self.ar_asset, "scale": 1.0, "heading_deg": 180.0}
        if self.kind == "social":
            start, end = social_window(now)
            body["active_from"] = start.isoformat()
            body["active_until"] = end.isoformat()
        return body


def social_window(now: datetime) -> tuple[datetime, datetime]:
    return now - SOCIAL_OPENS_BEFORE, now + SOCIAL_CLOSES_AFTER


CLUES: tuple[ClueSpec, ...] = (
    ClueSpec(
        "billboard",
        "three-robots-exit-strategies",
        "Sunset Strip billboard by the Whisky a Go Go, 8901 Sunset Blvd",
        city="Los Angeles",
        lat=34.0908,
        lon=-118.3856,
        radius_m=100,
    ),
    ClueSpec(
        "billboard",
        "swarm",
        "Times Square screens, Broadway and 7th Avenue from 42nd to 47th Street",
        city="New York",
        lat=40.7580,
        lon=-73.9855,
        # The bow tie of Times Square: 460 m along 7th Avenue, 120 m across, on the street grid.
        polygon=(
            (-73.98744, 40.75645),
            (-73.98620, 40.75593),
            (-73.98356, 40.75955),
            (-73.98480, 40.76007),
            (-73.98744, 40.75645),
        ),
    ),
    ClueSpec(
        "billboard",
        "bad-travelling",
        "Piccadilly Lights, Piccadilly Circus",
        city="London",
        lat=51.5101,
        lon=-0.1344,
        radius_m=60,
    ),
    ClueSpec(
        "billboard",
        "jibaro",
        "Screens over the Shibuya Scramble Crossing",
        city="Tokyo",
        lat=35.6595,
        lon=139.7005,
        radius_m=80,
    ),
    ClueSpec(
        "billboard",
        "kill-team-kill",
        "Billboard at Alexanderplatz by the World Clock",
        city="Berlin",
        lat=52.5219,
        lon=13.4132,
        radius_m=120,
    ),
    ClueSpec(
        "billboard",
        "night-of-the-mini-dead",
        "Screens over Yonge-Dundas Square",
        city="Toronto",
        lat=43.6561,
        lon=-79.3802,
        radius_m=70,
    ),
    ClueSpec(
        "billboard",
        "in-vaulted-halls-entombed",
        "Media wall at Gangnam Station, exit 11",
        city="Seoul",
        lat=37.4979,
        lon=127.0276,
        radius_m=100,
    ),
    ClueSpec(
        "digital",
        "the-very-pulse-of-the-machine",
        "Lobby screen of the Egyptian Theatre, 6712 Hollywood Blvd (premiere screening)",
        city="Los Angeles",
        lat=34.1017,
        lon=-118.3361,
        radius_m=50,
    ),
    ClueSpec(
        "ar",
        "bad-travelling",
        "AR: the crab on the steps of the Eros fountain, Piccadilly Circus",
        city="London",
        lat=51.50988,
        lon=-0.13466,
        radius_m=60,
        ar_asset=f"{IMAGE_BASE}/ar/bad-travelling-crab.glb",
    ),
    ClueSpec(
        "social",
        "masons-rats",
        "Mason's Rats drop, posted on the show's social accounts",
    ),
)

# The clue a newcomer "stands at" in the printed curl commands, and where "home" is from it.
SHOWCASE_LABEL = CLUES[0].label
SHOWCASE_ACCURACY_M = 12
HOME_DISTANCE_M = 5000.0
