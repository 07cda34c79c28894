"""The demo's own art: drawn deterministically per episode, uploaded through the API, and
named by every demo collectible's `image_url` on geohunt's own origin."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from server.demo import data as demo_data
from server.demo import run as demo
from server.demo.art import HEIGHT, WIDTH, episode_art
from server.http.auth import Role
from tests.support.api import Api


def test_each_episode_is_drawn_the_same_way_every_time() -> None:
    drawn = [episode_art(c["key"], c["name"], c["episode"]) for c in demo_data.COLLECTIBLES]
    assert len(set(drawn)) == len(demo_data.COLLECTIBLES)  # a picture per episode
    first = demo_data.COLLECTIBLES[0]
    assert episode_art(first["key"], first["name"], first["episode"]) == drawn[0]
    with Image.open(io.BytesIO(drawn[0])) as image:
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
        # Not a flat fill: a gradient, shapes and the name.
        assert len(image.getcolors(maxcolors=1 << 20) or []) > 1000


async def test_the_demo_collectibles_show_art_from_geohunt_itself(api: Api) -> None:
    organiser, _ = api.issuer.issue(Role.ORGANISER, "demo-test", 3600)
    seeded = await demo.seed(api.client, organiser, datetime.now(UTC))
    base = api.settings.public_base_url
    urls = [c["image_url"] for c in seeded.hunt["collectibles"]]
    assert len(urls) == len(demo_data.COLLECTIBLES) and len(set(urls)) == len(urls)
    for url in urls:
        assert url.startswith(f"{base}/art/") and url.endswith(".webp"), url
        response = await api.client.get(url.removeprefix(base))
        assert response.status == 200 and response.content_type == "image/webp"
        with Image.open(io.BytesIO(await response.read())) as image:
            assert image.size == (WIDTH, HEIGHT)
    # Seeding again uploads the same drawings: the same addresses.
    again = await demo.seed(api.client, organiser, datetime.now(UTC))
    assert [c["image_url"] for c in again.hunt["collectibles"]] == urls
