"""Clues on the real services: creation and geofences, roles, changes and their history, search,
printable codes, rotating displays and the landing page of a printed code."""

from __future__ import annotations

import asyncio
import io
import math
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from geopy.distance import geodesic
from PIL import Image

from hunt_engine.codes import parse_code, static_code
from server.http.auth import Role
from tests.support.api import RUN, Api
from tests.support.builders import TIMES_SQUARE, Hunt, at, iso, make_hunt, square_polygon

try:  # decodes QR images when installed (pip install zxing-cpp); else images are compared
    import zxingcpp
except ImportError:  # pragma: no cover - depends on the machine
    zxingcpp = None

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def ngon(center: tuple[float, float], vertices: int, radius_m: float = 100) -> dict[str, Any]:
    lat, lon = center
    ring = []
    for k in range(vertices):
        angle = 2 * math.pi * k / vertices
        ring.append(
            [
                lon + radius_m * math.cos(angle) / (111_000 * math.cos(math.radians(lat))),
                lat + radius_m * math.sin(angle) / 111_000,
            ]
        )
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    destination = geodesic(meters=metres).destination(point, 0)
    return destination.latitude, destination.longitude


async def create(
    api: Api, hunt: Hunt, expect: int, headers: dict[str, str] | None = None, **body: Any
) -> dict[str, Any]:
    if "collectible" not in body:
        body["collectible"] = await hunt.collectible()
    body.setdefault("label", "A clue")
    _, answer = await api.call(
        "POST", f"/v1/hunts/{hunt.slug}/clues", expect, headers=headers or api.organiser, json=body
    )
    return answer


def loc(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": point[0], "lon": point[1]}


def decode_qr(image: Image.Image) -> str:
    assert zxingcpp is not None
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def rasterise_svg(svg: bytes, pixels_per_unit: int = 8) -> Image.Image:
    """Draw the unit squares of qrcode's SvgPathImage path ("Mx,yHx2Vy2Hxz" runs)."""
    text = svg.decode()
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text)
    assert view is not None
    width, height = (int(float(v) * pixels_per_unit) for v in view.groups())
    image = Image.new("L", (width, height), 255)
    rects = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", text)
    assert rects, "the SVG has no path data"
    for x1, y1, x2, y2, _ in rects:
        box = [int(float(v) * pixels_per_unit) for v in (x1, y1, x2, y2)]
        image.paste(
            0, (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))
        )
    return image


# --- creating clues ----------------------------------------------------------------------------


async def test_billboard_default_and_explicit_circle(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    clue = await create(
        api,
        hunt,
        201,
        kind="billboard",
        collectible=key,
        label="Times Square",
        city="New York",
        location=loc(TIMES_SQUARE),
    )
    assert clue["id"] > 0 and clue["hunt"] == hunt.slug and clue["kind"] == "billboard"
    assert clue["collectible"] == key and clue["label"] == "Times Square"
    assert clue["city"] == "New York" and clue["location"] == loc(TIMES_SQUARE)
    assert clue["geofence"] == {"radius_m": 100}
    assert clue["active"] is True and clue["max_finds"] is None and clue["finds"] == 0
    assert clue["active_from"] is None and clue["active_until"] is None
    base = api.settings.public_base_url
    assert clue["qr"] == {
        "png": f"{base}/v1/clues/{clue['id']}/qr.png",
        "svg": f"{base}/v1/clues/{clue['id']}/qr.svg",
    }
    wide = await create(
        api, hunt, 201, kind="billboard", location=loc(TIMES_SQUARE), geofence={"radius_m": 250}
    )
    assert wide["geofence"] == {"radius_m": 250}
    for radius in (5, 5000, 12.5):
        made = await create(
            api,
            hunt,
            201,
            kind="billboard",
            location=loc(TIMES_SQUARE),
            geofence={"radius_m": radius},
        )
        assert made["geofence"] == {"radius_m": radius}
    # The listing shows them as created.
    _, listed = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert [c["id"] for c in listed][:2] == [clue["id"], wide["id"]]
    assert listed[0] == clue


async def test_billboard_with_polygon_geofence(api: Api) -> None:
    hunt = await make_hunt(api)
    fence = square_polygon(TIMES_SQUARE, 200)
    clue = await create(
        api, hunt, 201, kind="billboard", location=loc(TIMES_SQUARE), geofence=fence
    )
    assert clue["geofence"] == fence
    # The polygon is what a scan is checked against: 90 m north is inside the square.
    _, me = await api.hunter()
    await api.call(
        "POST",
        "/v1/scans",
        201,
        headers=me,
        json={"code": hunt.code(clue), **at(north_of(TIMES_SQUARE, 90))},
    )
    outside = await create(
        api, hunt, 201, kind="billboard", location=loc(TIMES_SQUARE), geofence=fence
    )
    _, other = await api.hunter()
    _, answer = await api.call(
        "POST",
        "/v1/scans",
        422,
        headers=other,
        json={"code": hunt.code(outside), **at(north_of(TIMES_SQUARE, 300))},
    )
    assert answer["code"] == "outside_geofence"
    # A polygon with a hole and 999 vertices (the most allowed) are fine too.
    holed = square_polygon(TIMES_SQUARE, 400)
    holed["coordinates"].append(list(reversed(square_polygon(TIMES_SQUARE, 100)["coordinates"][0])))
    await create(api, hunt, 201, kind="billboard", location=loc(TIMES_SQUARE), geofence=holed)
    await create(
        api,
        hunt,
        201,
        kind="billboard",
        location=loc(TIMES_SQUARE),
        geofence=ngon(TIMES_SQUARE, 999),
    )


async def test_digital_social_and_ar_clues(api: Api) -> None:
    hunt = await make_hunt(api)
    digital = await create(api, hunt, 201, kind="digital", location=loc(TIMES_SQUARE))
    assert digital["kind"] == "digital" and "qr" not in digital
    assert digital["geofence"] == {"radius_m": 100}
    start = datetime.now(UTC).replace(microsecond=0)
    social = await create(
        api,
        hunt,
        201,
        kind="social",
        active_from=iso(start),
        active_until=iso(start + timedelta(hours=2)),
        max_finds=50,
    )
    assert social["location"] is None and social["geofence"] is None
    assert social["active_from"] == iso(start)
    assert social["active_until"] == iso(start + timedelta(hours=2))
    assert social["max_finds"] == 50 and set(social["qr"]) == {"png", "svg"}
    anchor = {"asset_url": "https://img.example/robot.glb", "scale": 2.0, "heading_deg": 90.0}
    ar = await create(
        api, hunt, 201, kind="ar", location=loc(TIMES_SQUARE), geofence={"radius_m": 30}, ar=anchor
    )
    assert ar["ar"] == anchor and "qr" not in ar and ar["geofence"] == {"radius_m": 30}


async def test_clue_body_rules(api: Api) -> None:
    hunt = await make_hunt(api)
    for kind in ("billboard", "digital", "ar"):
        extra = {"ar": {"asset_url": "https://img.example/a.glb"}} if kind == "ar" else {}
        answer = await create(api, hunt, 400, kind=kind, **extra)
        assert answer["code"] == "invalid_request" and "location" in answer["detail"]
    bad_bodies: list[dict[str, Any]] = [
        {"kind": "social", "location": loc(TIMES_SQUARE)},
        {"kind": "social", "geofence": {"radius_m": 50}},
        {"kind": "ar", "location": loc(TIMES_SQUARE)},  # no anchor
        {
            "kind": "billboard",
            "location": loc(TIMES_SQUARE),
            "ar": {"asset_url": "https://img.example/a.glb"},
        },
        {"kind": "hologram", "location": loc(TIMES_SQUARE)},
        {"kind": "billboard", "location": {"lat": 91, "lon": 0}},
        {"kind": "billboard", "location": {"lat": 0, "lon": -180.5}},
        {"kind": "billboard", "location": {"lat": "40.7", "lon": -73.9}},
        {"kind": "billboard", "location": loc(TIMES_SQUARE), "label": ""},
        {"kind": "billboard", "location": loc(TIMES_SQUARE), "label": "nul\u0000byte"},
        {"kind": "billboard", "location": loc(TIMES_SQUARE), "city": "nul\u0000"},
        {
            "kind": "ar",
            "location": loc(TIMES_SQUARE),
            "ar": {"asset_url": "https://img.example/\u0000.glb"},
        },
        {"kind": "billboard", "location": loc(TIMES_SQUARE), "max_finds": -1},
        {"kind": "billboard", "location": loc(TIMES_SQUARE), "surprise": 1},
        {
            "kind": "social",
            "active_from": "2030-01-02T00:00:00Z",
            "active_until": "2030-01-01T00:00:00Z",
        },
        {"kind": "social", "active_from": "2030-01-02T00:00:00"},  # no offset
    ]
    for body in bad_bodies:
        answer = await create(api, hunt, 400, **body)
        assert answer["code"] == "invalid_request", body
    answer = await create(api, hunt, 404, kind="social", collectible="no-such-collectible")
    assert answer["code"] == "not_found"
    _, answer = await api.call(
        "POST",
        "/v1/hunts/no-such-hunt/clues",
        404,
        headers=api.organiser,
        json={"kind": "social", "collectible": "x", "label": "x"},
    )
    assert answer["code"] == "not_found"
    _, answer = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues",
        400,
        headers={**api.organiser, "Content-Type": "application/json"},
        data=b"{not json",
    )
    assert answer["code"] == "invalid_request"


INVALID_FENCES: list[tuple[str, Any]] = [
    ("radius 4", {"radius_m": 4}),
    ("radius 5001", {"radius_m": 5001}),
    ("radius 0", {"radius_m": 0}),
    ("negative radius", {"radius_m": -100}),
    ("radius as text", {"radius_m": "100"}),
    ("radius as bool", {"radius_m": True}),
    ("radius null", {"radius_m": None}),
    ("huge radius", {"radius_m": 10**400}),
    ("radius and extra key", {"radius_m": 100, "unit": "ft"}),
    ("empty object", {}),
    (
        "self-intersecting",
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [-73.99, 40.75],
                    [-73.98, 40.76],
                    [-73.98, 40.75],
                    [-73.99, 40.76],
                    [-73.99, 40.75],
                ]
            ],
        },
    ),
    (
        "unclosed ring",
        {
            "type": "Polygon",
            "coordinates": [[[-73.99, 40.75], [-73.98, 40.75], [-73.98, 40.76], [-73.99, 40.76]]],
        },
    ),
    (
        "unclosed 5 positions",
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [-73.99, 40.75],
                    [-73.98, 40.75],
                    [-73.98, 40.76],
                    [-73.99, 40.76],
                    [-73.99, 40.755],
                ]
            ],
        },
    ),
    (
        "too few positions",
        {"type": "Polygon", "coordinates": [[[-73.99, 40.75], [-73.98, 40.75], [-73.99, 40.75]]]},
    ),
    (
        "no area",
        {
            "type": "Polygon",
            "coordinates": [[[-73.99, 40.75], [-73.98, 40.76], [-73.99, 40.75], [-73.99, 40.75]]],
        },
    ),
    ("1000 vertices", ngon(TIMES_SQUARE, 1000)),
    ("2000 vertices", ngon(TIMES_SQUARE, 2000)),
    ("area over 25 km²", square_polygon(TIMES_SQUARE, 5_100)),
    ("area of a country", square_polygon(TIMES_SQUARE, 400_000)),
    (
        "latitude out of range",
        {
            "type": "Polygon",
            "coordinates": [[[-73.99, 89.99], [-73.98, 89.99], [-73.98, 90.5], [-73.99, 89.99]]],
        },
    ),
    (
        "longitude out of range",
        {
            "type": "Polygon",
            "coordinates": [[[179.99, 40.75], [180.01, 40.75], [180.01, 40.76], [179.99, 40.75]]],
        },
    ),
    ("coordinates as text", {"type": "Polygon", "coordinates": "[[0, 0]]"}),
    (
        "position as text",
        {
            "type": "Polygon",
            "coordinates": [
                [["-73.99", "40.75"], [-73.98, 40.75], [-73.98, 40.76], ["-73.99", "40.75"]]
            ],
        },
    ),
    (
        "position with 3 numbers and bool",
        {
            "type": "Polygon",
            "coordinates": [
                [[-73.99, 40.75, True], [-73.98, 40.75], [-73.98, 40.76], [-73.99, 40.75, True]]
            ],
        },
    ),
    ("ring as number", {"type": "Polygon", "coordinates": [7]}),
    ("no rings", {"type": "Polygon", "coordinates": []}),
    ("no coordinates", {"type": "Polygon"}),
    ("type as number", {"type": 5, "coordinates": [[[0, 0], [0, 1], [1, 1], [0, 0]]]}),
    ("MultiPolygon", {"type": "MultiPolygon", "coordinates": [[[[0, 0], [0, 1], [1, 1], [0, 0]]]]}),
    ("Point", {"type": "Point", "coordinates": [-73.98, 40.75]}),
    (
        "hole outside shell",
        {
            "type": "Polygon",
            "coordinates": [
                square_polygon(TIMES_SQUARE, 100)["coordinates"][0],
                square_polygon(north_of(TIMES_SQUARE, 1000), 50)["coordinates"][0],
            ],
        },
    ),
]


@pytest.mark.parametrize(("name", "fence"), INVALID_FENCES, ids=[n for n, _ in INVALID_FENCES])
async def test_invalid_geofence(api: Api, name: str, fence: Any) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    answer = await create(
        api,
        hunt,
        400,
        kind="billboard",
        collectible=key,
        location=loc(TIMES_SQUARE),
        geofence=fence,
    )
    assert answer["code"] == "invalid_geofence", (name, answer)
    assert answer["status"] == 400 and answer["detail"]


async def test_geofence_boundaries_accepted(api: Api) -> None:
    hunt = await make_hunt(api)
    # Just under the area limit (4.9 km square ~ 24 km²).
    await create(
        api,
        hunt,
        201,
        kind="digital",
        location=loc(TIMES_SQUARE),
        geofence=square_polygon(TIMES_SQUARE, 4_900),
    )
    # Near the antimeridian, a small polygon across it is fine.
    across = {
        "type": "Polygon",
        "coordinates": [
            [
                [179.999, -16.0],
                [-179.999, -16.0],
                [-179.999, -15.999],
                [179.999, -15.999],
                [179.999, -16.0],
            ]
        ],
    }
    await create(
        api, hunt, 201, kind="billboard", location={"lat": -15.9995, "lon": 180}, geofence=across
    )


# --- roles -------------------------------------------------------------------------------------


async def test_field_crews_create_billboard_digital_ar_but_not_social(api: Api) -> None:
    hunt = await make_hunt(api)
    crew = api.auth(Role.FIELD, "crew-create")
    for kind in ("billboard", "digital", "ar"):
        extra = {"ar": {"asset_url": "https://img.example/a.glb"}} if kind == "ar" else {}
        clue = await create(
            api, hunt, 201, headers=crew, kind=kind, location=loc(TIMES_SQUARE), **extra
        )
        assert clue["kind"] == kind
    answer = await create(api, hunt, 403, headers=crew, kind="social")
    assert answer["code"] == "forbidden"
    for role in (Role.HUNTER, Role.SCREEN):
        answer = await create(
            api,
            hunt,
            403,
            headers=api.auth(role, "7"),
            kind="billboard",
            location=loc(TIMES_SQUARE),
        )
        assert answer["code"] == "forbidden"
    _, answer = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues",
        401,
        json={"kind": "social", "collectible": "x", "label": "x"},
    )
    assert answer["code"] == "unauthorized"
    _, answer = await api.call(
        "GET", f"/v1/hunts/{hunt.slug}/clues", 403, headers=api.auth(Role.HUNTER, "7")
    )
    assert answer["code"] == "forbidden"


async def test_field_patches_only_its_own_clues(api: Api) -> None:
    hunt = await make_hunt(api)
    alice, bob = api.auth(Role.FIELD, "crew-alice"), api.auth(Role.FIELD, "crew-bob")
    mine = await create(api, hunt, 201, headers=alice, kind="billboard", location=loc(TIMES_SQUARE))
    theirs = await create(api, hunt, 201, headers=bob, kind="billboard", location=loc(TIMES_SQUARE))
    by_organiser = await hunt.clue()
    _, patched = await api.call(
        "PATCH", f"/v1/clues/{mine['id']}", 200, headers=alice, json={"label": "Alice's"}
    )
    assert patched["label"] == "Alice's"
    for clue in (theirs, by_organiser):
        _, answer = await api.call(
            "PATCH", f"/v1/clues/{clue['id']}", 403, headers=alice, json={"label": "Hijacked"}
        )
        assert answer["code"] == "forbidden"
    _, unchanged = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=alice)
    labels = {c["id"]: c["label"] for c in unchanged}
    assert labels[theirs["id"]] == theirs["label"]
    assert labels[by_organiser["id"]] == by_organiser["label"]
    # Organisers may change any clue.
    for clue in (mine, theirs, by_organiser):
        _, patched = await api.call(
            "PATCH",
            f"/v1/clues/{clue['id']}",
            200,
            headers=api.organiser,
            json={"label": "Organised"},
        )
        assert patched["label"] == "Organised"
    for role in (Role.HUNTER, Role.SCREEN):
        _, answer = await api.call(
            "PATCH",
            f"/v1/clues/{mine['id']}",
            403,
            headers=api.auth(role, "7"),
            json={"label": "x"},
        )
        assert answer["code"] == "forbidden"
    for bad in ("0", "abc", "99999999999999", str(2**63), "-1"):
        status, _ = await api.call(
            "PATCH", f"/v1/clues/{bad}", None, headers=api.organiser, json={"label": "x"}
        )
        assert status == 404, bad


# --- changes and history -----------------------------------------------------------------------


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_patch_history_keeps_who_when_and_what(api: Api) -> None:
    hunt = await make_hunt(api)
    crew = api.auth(Role.FIELD, "crew-history")
    started = datetime.now(UTC) - timedelta(seconds=1)
    clue = await create(
        api, hunt, 201, headers=crew, kind="billboard", label="Before", location=loc(TIMES_SQUARE)
    )
    _, patched = await api.call(
        "PATCH",
        f"/v1/clues/{clue['id']}",
        200,
        headers=crew,
        json={"label": "After", "geofence": {"radius_m": 40}},
    )
    assert patched["label"] == "After" and patched["geofence"] == {"radius_m": 40}
    moved_to = (TIMES_SQUARE[0] + 0.004, TIMES_SQUARE[1] + 0.003)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    _, patched = await api.call(
        "PATCH",
        f"/v1/clues/{clue['id']}",
        200,
        headers=api.organiser,
        json={"location": loc(moved_to), "active": False, "active_until": iso(until)},
    )
    assert patched["location"] == loc(moved_to) and patched["active"] is False
    assert patched["geofence"] == {"radius_m": 40}
    # A PATCH that changes nothing leaves no trace.
    await api.call(
        "PATCH", f"/v1/clues/{clue['id']}", 200, headers=api.organiser, json={"label": "After"}
    )
    _, history = await api.call("GET", f"/v1/clues/{clue['id']}/history", 200, headers=crew)
    assert [h["action"] for h in history] == ["created", "updated", "updated"]
    assert [(h["by"], h["role"]) for h in history] == [
        ("crew-history", "field"),
        ("crew-history", "field"),
        (api_sub(api), "organiser"),
    ]
    moments = [_at(h["at"]) for h in history]
    assert moments == sorted(moments)
    assert all(started <= m <= datetime.now(UTC) + timedelta(seconds=1) for m in moments)
    assert history[0]["changes"] == {}
    assert history[1]["changes"] == {
        "label": {"from": "Before", "to": "After"},
        "geofence": {"from": {"radius_m": 100}, "to": {"radius_m": 40}},
    }
    third = history[2]["changes"]
    assert set(third) == {"lat", "lon", "active", "active_until"}
    assert third["lat"] == {"from": TIMES_SQUARE[0], "to": moved_to[0]}
    assert third["lon"] == {"from": TIMES_SQUARE[1], "to": moved_to[1]}
    assert third["active"] == {"from": True, "to": False}
    assert third["active_until"] == {"from": None, "to": iso(until)}
    # Who may read it.
    await api.call("GET", f"/v1/clues/{clue['id']}/history", 200, headers=api.organiser)
    _, answer = await api.call(
        "GET", f"/v1/clues/{clue['id']}/history", 403, headers=api.auth(Role.HUNTER, "1")
    )
    assert answer["code"] == "forbidden"
    _, answer = await api.call("GET", "/v1/clues/999999999999/history", 404, headers=api.organiser)
    assert answer["code"] == "not_found"


def api_sub(api: Api) -> str:
    return "org-" + RUN


async def test_patch_rules(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    social = await hunt.clue(kind="social")
    path = f"/v1/clues/{clue['id']}"
    polygon = square_polygon(TIMES_SQUARE, 150)
    _, patched = await api.call(
        "PATCH", path, 200, headers=api.organiser, json={"geofence": polygon}
    )
    assert patched["geofence"] == polygon
    # null geofence goes back to the default circle.
    _, patched = await api.call("PATCH", path, 200, headers=api.organiser, json={"geofence": None})
    assert patched["geofence"] == {"radius_m": 100}
    for body in ({"geofence": {"radius_m": 4}}, {"geofence": square_polygon(TIMES_SQUARE, 9_000)}):
        _, answer = await api.call("PATCH", path, 400, headers=api.organiser, json=body)
        assert answer["code"] == "invalid_geofence"
    for body in (
        {"label": None},
        {"active": None},
        {"location": None},
        {"active": "no"},
        {"kind": "social"},
        {"location": {"lat": 100, "lon": 0}},
        {"active_from": "2030-01-02T00:00:00Z", "active_until": "2030-01-01T00:00:00Z"},
        {"label": "x\u0000y"},
    ):
        _, answer = await api.call("PATCH", path, 400, headers=api.organiser, json=body)
        assert answer["code"] == "invalid_request", body
    for body in ({"location": loc(TIMES_SQUARE)}, {"geofence": {"radius_m": 50}}):
        _, answer = await api.call(
            "PATCH", f"/v1/clues/{social['id']}", 400, headers=api.organiser, json=body
        )
        assert answer["code"] == "invalid_request"
    # max_finds below the finds already made would break the count: refused, not a crash.
    _, me = await api.hunter()
    await api.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
    )
    _, answer = await api.call("PATCH", path, 409, headers=api.organiser, json={"max_finds": 0})
    assert answer["code"] == "conflict"
    _, patched = await api.call("PATCH", path, 200, headers=api.organiser, json={"max_finds": 1})
    assert patched["max_finds"] == 1 and patched["finds"] == 1


# --- search ------------------------------------------------------------------------------------


async def test_near_search_sorted_by_distance(api: Api) -> None:
    hunt = await make_hunt(api)
    origin = TIMES_SQUARE
    at_origin = await hunt.clue(geofence={"radius_m": 10})
    far = await hunt.clue(at=north_of(origin, 800), geofence={"radius_m": 20})
    near = await hunt.clue(at=north_of(origin, 300), geofence={"radius_m": 20})
    polygon = await hunt.clue(
        kind="digital",
        at=north_of(origin, 500),
        geofence=square_polygon(north_of(origin, 500), 100),
    )
    beyond = await hunt.clue(at=north_of(origin, 3000), geofence={"radius_m": 20})
    switched_off = await hunt.clue(at=north_of(origin, 100), geofence={"radius_m": 20})
    await hunt.clue(kind="social")
    await api.call(
        "PATCH",
        f"/v1/clues/{switched_off['id']}",
        200,
        headers=api.organiser,
        json={"active": False},
    )
    crew = api.auth(Role.FIELD, "crew-near")
    query = {"near": f"{origin[0]},{origin[1]}", "radius_m": "1000"}
    _, found = await api.call(
        "GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=crew, params=query
    )
    assert [c["id"] for c in found] == [at_origin["id"], near["id"], polygon["id"], far["id"]]
    distances = [c["distance_m"] for c in found]
    assert distances == sorted(distances)
    # The distance is to the clue's geofence: 0 inside it, else from the point to its edge.
    assert distances[0] == 0
    assert distances[1] == pytest.approx(300 - 20, abs=1)
    assert distances[2] == pytest.approx(500 - 50, abs=2)
    assert distances[3] == pytest.approx(800 - 20, abs=1)
    assert found[1] == {**near, "distance_m": found[1]["distance_m"]}
    # A smaller radius, and one that reaches the far clue too.
    _, found = await api.call(
        "GET",
        f"/v1/hunts/{hunt.slug}/clues",
        200,
        headers=crew,
        params={**query, "radius_m": "300"},
    )
    assert [c["id"] for c in found] == [at_origin["id"], near["id"]]
    _, found = await api.call(
        "GET",
        f"/v1/hunts/{hunt.slug}/clues",
        200,
        headers=crew,
        params={**query, "radius_m": "5000"},
    )
    assert [c["id"] for c in found][-1] == beyond["id"] and len(found) == 5
    # Switched back on, it is found again.
    await api.call(
        "PATCH",
        f"/v1/clues/{switched_off['id']}",
        200,
        headers=api.organiser,
        json={"active": True},
    )
    _, found = await api.call(
        "GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=crew, params=query
    )
    assert [c["id"] for c in found][1] == switched_off["id"]
    # Without `near`, every clue of the hunt, deactivated or not, in id order.
    _, everything = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=crew)
    assert len(everything) == 7 and [c["id"] for c in everything] == sorted(
        c["id"] for c in everything
    )
    assert all("distance_m" not in c for c in everything)
    for bad in (
        {"near": "40.7"},
        {"near": "91,0"},
        {"near": "a,b"},
        {"near": "nan,0"},
        {"near": "40,-73", "radius_m": "0"},
        {"near": "40,-73", "radius_m": "-5"},
        {"near": "40,-73", "radius_m": "inf"},
        {"near": "40,-73", "radius_m": "1e9"},
    ):
        _, answer = await api.call(
            "GET", f"/v1/hunts/{hunt.slug}/clues", 400, headers=crew, params=bad
        )
        assert answer["code"] == "invalid_request", bad


async def test_near_search_sees_moves(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(geofence={"radius_m": 10})
    query = {"near": f"{TIMES_SQUARE[0]},{TIMES_SQUARE[1]}", "radius_m": "200"}
    _, found = await api.call(
        "GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser, params=query
    )
    assert [c["id"] for c in found] == [clue["id"]]
    await api.call(
        "PATCH",
        f"/v1/clues/{clue['id']}",
        200,
        headers=api.organiser,
        json={"location": loc(north_of(TIMES_SQUARE, 2000))},
    )
    _, found = await api.call(
        "GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser, params=query
    )
    assert found == []


# --- printable codes, displays, landing page ---------------------------------------------------


async def test_qr_png_and_svg_encode_the_code_url(api: Api) -> None:
    hunt = await make_hunt(api)
    for kind in ("billboard", "social"):
        clue = await hunt.clue(kind=kind)
        code = static_code(api.settings.qr_keyring, clue["id"])
        expected = f"{api.settings.public_base_url}/c/{code}"
        response = await api.client.get(f"/v1/clues/{clue['id']}/qr.png", headers=api.organiser)
        assert response.status == 200 and response.content_type == "image/png"
        png = await response.read()
        assert png.startswith(PNG_MAGIC)
        image = Image.open(io.BytesIO(png))
        image.load()
        response = await api.client.get(
            f"/v1/clues/{clue['id']}/qr.svg", headers=api.auth(Role.FIELD, "crew-qr")
        )
        assert response.status == 200 and response.content_type == "image/svg+xml"
        svg = await response.read()
        assert b"<svg" in svg and b"<path" in svg and re.search(rb'd="M\d', svg)
        if zxingcpp is not None:
            assert decode_qr(image) == expected
            assert decode_qr(rasterise_svg(svg)) == expected
        else:
            from server.common import qr_images

            assert png == qr_images.png(expected) and svg == qr_images.svg(expected)
        # The printed URL is a genuine code for this clue, which a hunter can scan.
        assert parse_code(api.settings.qr_keyring, expected).clue_id == clue["id"]
    # ?scale= changes the size, within bounds.
    small = await api.client.get(f"/v1/clues/{clue['id']}/qr.png?scale=2", headers=api.organiser)
    large = await api.client.get(f"/v1/clues/{clue['id']}/qr.png?scale=20", headers=api.organiser)
    small_size = Image.open(io.BytesIO(await small.read())).size
    large_size = Image.open(io.BytesIO(await large.read())).size
    assert large_size[0] == small_size[0] * 10
    for scale in ("0", "41", "x", "2.5"):
        _, answer = await api.call(
            "GET", f"/v1/clues/{clue['id']}/qr.png?scale={scale}", 400, headers=api.organiser
        )
        assert answer["code"] == "invalid_request"


async def test_qr_refused_for_rotating_and_ar_clues_and_non_editors(api: Api) -> None:
    hunt = await make_hunt(api)
    digital = await hunt.clue(kind="digital")
    for image in ("qr.png", "qr.svg"):
        _, answer = await api.call(
            "GET", f"/v1/clues/{digital['id']}/{image}", 409, headers=api.organiser
        )
        assert answer["code"] == "rotating_clue"
    ar = await hunt.clue(kind="ar")
    _, answer = await api.call("GET", f"/v1/clues/{ar['id']}/qr.png", 404, headers=api.organiser)
    assert answer["code"] == "not_found"
    billboard = await hunt.clue()
    for role in (Role.HUNTER, Role.SCREEN):
        _, answer = await api.call(
            "GET", f"/v1/clues/{billboard['id']}/qr.png", 403, headers=api.auth(role, "5")
        )
        assert answer["code"] == "forbidden"
    _, answer = await api.call("GET", f"/v1/clues/{billboard['id']}/qr.png", 401)
    assert answer["code"] == "unauthorized"
    _, answer = await api.call("GET", "/v1/clues/999999999999/qr.svg", 404, headers=api.organiser)
    assert answer["code"] == "not_found"


async def test_display_of_a_digital_clue(api: Api) -> None:
    rotate_s = 600
    while rotate_s - time.time() % rotate_s < 5:  # not at a step boundary
        await asyncio.sleep(1)
    hunt = await make_hunt(api, rules={"rotate_s": rotate_s})
    clue = await hunt.clue(kind="digital")
    screen = api.auth(Role.SCREEN, "venue-screen")
    _, display = await api.call("GET", f"/v1/clues/{clue['id']}/display", 200, headers=screen)
    assert display["code"] == hunt.code(clue, 0, rotate_s)
    assert display["url"] == f"{api.settings.public_base_url}/c/{display['code']}"
    assert display["step"] == int(time.time() // rotate_s)
    assert 0 < display["expires_in_s"] <= rotate_s
    _, again = await api.call("GET", f"/v1/clues/{clue['id']}/display", 200, headers=api.organiser)
    assert again["code"] == display["code"]
    response = await api.client.get(f"/v1/clues/{clue['id']}/display.png", headers=screen)
    assert response.status == 200 and response.content_type == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert 0 < float(response.headers["X-Expires-In"]) <= rotate_s
    png = await response.read()
    assert png.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(png))
    if zxingcpp is not None:
        assert decode_qr(image) == display["url"]
    # The displayed code scans.
    _, me = await api.hunter()
    await api.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": display["url"], **at(TIMES_SQUARE)}
    )
    for role in (Role.FIELD, Role.HUNTER):
        for path in ("display", "display.png"):
            _, answer = await api.call(
                "GET", f"/v1/clues/{clue['id']}/{path}", 403, headers=api.auth(role, "3")
            )
            assert answer["code"] == "forbidden"
    billboard = await hunt.clue()
    for path in ("display", "display.png"):
        _, answer = await api.call(
            "GET", f"/v1/clues/{billboard['id']}/{path}", 404, headers=screen
        )
        assert answer["code"] == "not_found"
        _, answer = await api.call("GET", f"/v1/clues/999999999999/{path}", 404, headers=screen)
        assert answer["code"] == "not_found"


async def test_landing_page_of_a_code(api: Api) -> None:
    """A code's page is the fan app's shell, for every kind of code; anything else gets the
    app's HTML 404 page (contract, "Apps in the browser")."""
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    code = hunt.code(clue)
    response = await api.client.get(f"/c/{code}")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "<html" in page and 'type="module"' in page
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    digital = await hunt.clue(kind="digital")
    response = await api.client.get(f"/c/{hunt.code(digital)}")
    assert response.status == 200 and response.content_type == "text/html"
    for bad in (
        code[:-1] + ("A" if code[-1] != "A" else "B"),
        "hello",
        "s.1.1.AAAAAAAAAAAAAAAA",
        "%3Cscript%3E",
        "x" * 600,
    ):
        response = await api.client.get(f"/c/{bad}")
        assert response.status == 404, bad
        assert response.content_type == "text/html"
        text = await response.text()
        assert "This is not a geohunt code" in text and "<script" not in text.lower()
