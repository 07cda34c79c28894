from __future__ import annotations

from tests.support.api import Api, unique


async def test_health_and_hunt_roundtrip(api: Api) -> None:
    await api.call("GET", "/healthz", 200)
    status, body = await api.call("GET", "/readyz")
    assert status == 200, body
    slug = unique("hunt")
    _, hunt = await api.call(
        "POST",
        "/v1/hunts",
        201,
        headers=api.organiser,
        json={
            "slug": slug,
            "name": "Test",
            "starts_at": "2020-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
        },
    )
    assert hunt["rules"]["max_accuracy_m"] == 100
    _, got = await api.call("GET", f"/v1/hunts/{slug}", 200)
    assert got["collectibles"] == []
