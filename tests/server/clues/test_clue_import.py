"""Clue import from GeoJSON, through the API and through `geohunt import-clues`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.settings import Settings
from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, Hunt, at, make_hunt, square_polygon
from tests.support.processes import run_geohunt


def point(lat: float, lon: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }


def polygon(lat: float, lon: float, side_m: float = 100, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": square_polygon((lat, lon), side_m),
    }


def collection(features: list[Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


async def mixed_features(hunt: Hunt) -> tuple[list[Any], dict[int, str]]:
    """Good and bad features, and the code each bad one must fail with, by index."""
    key = await hunt.collectible()
    lat, lon = TIMES_SQUARE
    features: list[Any] = [
        point(lat, lon, kind="billboard", collectible=key, label="Point, default fence"),  # 0
        point(lat, lon, kind="billboard", collectible="no-such-key", label="Unknown"),  # 1
        polygon(lat + 0.01, lon, kind="digital", collectible=key, label="Polygon"),  # 2
        point(lat, lon, kind="billboard", collectible=key, label="Tiny", radius_m=4),  # 3
        point(lat, lon, kind="billboard", collectible=key),  # 4: no label
        {
            "type": "Feature",
            "properties": {"kind": "billboard", "collectible": key, "label": "Line"},
            "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.01, lat]]},
        },  # 5
        {"kind": "billboard", "collectible": key, "label": "Not a feature"},  # 6
        point(
            lat + 0.02,
            lon,
            kind="billboard",
            collectible=key,
            label="Radius",
            radius_m=40,
            city="New York",
        ),  # 7
        "just a string",  # 8
        polygon(lat, lon, 6_000, kind="billboard", collectible=key, label="Huge"),  # 9
        {
            "type": "Feature",
            "properties": {"kind": "billboard", "collectible": key, "label": "Bowtie"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [lon, lat],
                        [lon + 0.01, lat + 0.01],
                        [lon + 0.01, lat],
                        [lon, lat + 0.01],
                        [lon, lat],
                    ]
                ],
            },
        },  # 10
        point(lat, lon, kind="social", collectible=key, label="Social with a point"),  # 11
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"kind": "social", "collectible": key, "label": "Social drop"},
        },  # 12
        point(95, lon, kind="billboard", collectible=key, label="Off the globe"),  # 13
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon]},
            "properties": {"kind": "billboard", "collectible": key, "label": "Short"},
        },  # 14
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": None,
        },  # 15
        point(
            lat,
            lon,
            kind="ar",
            collectible=key,
            label="AR",
            ar={"asset_url": "https://img.example/a.glb"},
        ),  # 16
        point(lat, lon, kind="billboard", collectible=key, label="Extra", colour="red"),  # 17
    ]
    expected = {
        1: "not_found",
        3: "invalid_geofence",
        4: "invalid_request",
        5: "invalid_geofence",
        6: "invalid_request",
        8: "invalid_request",
        9: "invalid_geofence",
        10: "invalid_geofence",
        11: "invalid_request",
        13: "invalid_request",
        14: "invalid_request",
        15: "invalid_request",
        17: "invalid_request",
    }
    return features, expected


GOOD = [0, 2, 7, 12, 16]


async def test_import_reports_each_bad_feature(api: Api) -> None:
    hunt = await make_hunt(api)
    features, expected = await mixed_features(hunt)
    _, result = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues/import",
        200,
        headers=api.organiser,
        json=collection(features),
    )
    assert result["created"] == len(features) - len(expected) == len(GOOD)
    assert {f["index"]: f["code"] for f in result["failed"]} == expected
    assert [f["index"] for f in result["failed"]] == sorted(expected)
    assert all(isinstance(f["detail"], str) and f["detail"] for f in result["failed"])
    assert "label" in next(f["detail"] for f in result["failed"] if f["index"] == 4)
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert [c["label"] for c in clues] == [features[i]["properties"]["label"] for i in GOOD]
    by_label = {c["label"]: c for c in clues}
    assert by_label["Point, default fence"]["geofence"] == {"radius_m": 100}
    assert by_label["Point, default fence"]["location"] == {
        "lat": TIMES_SQUARE[0],
        "lon": TIMES_SQUARE[1],
    }
    assert by_label["Radius"]["geofence"] == {"radius_m": 40}
    assert by_label["Radius"]["city"] == "New York"
    assert by_label["Polygon"]["geofence"] == features[2]["geometry"]
    # A polygon's clue is located inside its polygon.
    spot = by_label["Polygon"]["location"]
    ring = features[2]["geometry"]["coordinates"][0]
    assert ring[0][0] < spot["lon"] < ring[1][0] and ring[0][1] < spot["lat"] < ring[2][1]
    assert by_label["Social drop"]["location"] is None
    assert by_label["AR"]["ar"] == {"asset_url": "https://img.example/a.glb"}
    # Every imported clue is in its history as imported, by the caller.
    _, history = await api.call(
        "GET", f"/v1/clues/{clues[0]['id']}/history", 200, headers=api.organiser
    )
    assert [(h["action"], h["role"]) for h in history] == [("imported", "organiser")]
    # And scannable at once.
    _, me = await api.hunter()
    await api.call(
        "POST",
        "/v1/scans",
        201,
        headers=me,
        json={"code": hunt.code(by_label["Point, default fence"]), **at(TIMES_SQUARE)},
    )
    _, other = await api.hunter()
    await api.call(
        "POST", "/v1/scans", 201, headers=other, json={"code": hunt.code(by_label["Social drop"])}
    )
    third_id, third = await api.hunter()
    polygon_spot = (spot["lat"], spot["lon"])
    await api.call(
        "POST",
        "/v1/scans",
        201,
        headers=third,
        json={"code": hunt.code(by_label["Polygon"]), **at(polygon_spot)},
    )


async def test_import_many_are_searchable_at_once(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    lat, lon = TIMES_SQUARE
    features = [
        point(lat + i * 0.0001, lon, kind="billboard", collectible=key, label=f"n{i}", radius_m=5)
        for i in range(120)
    ]
    _, result = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues/import",
        200,
        headers=api.organiser,
        json=collection(features),
    )
    assert result == {"created": 120, "failed": []}
    _, found = await api.call(
        "GET",
        f"/v1/hunts/{hunt.slug}/clues",
        200,
        headers=api.organiser,
        params={"near": f"{lat},{lon}", "radius_m": "2000"},
    )
    assert [c["label"] for c in found] == [f"n{i}" for i in range(120)]


async def test_import_by_field_crew_and_refusals(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    crew = api.auth(Role.FIELD, "crew-import")
    lat, lon = TIMES_SQUARE
    features = [
        point(lat, lon, kind="billboard", collectible=key, label="By the crew"),
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"kind": "social", "collectible": key, "label": "No"},
        },
    ]
    path = f"/v1/hunts/{hunt.slug}/clues/import"
    _, result = await api.call("POST", path, 200, headers=crew, json=collection(features))
    assert result["created"] == 1
    assert result["failed"] == [
        {"index": 1, "code": "forbidden", "detail": result["failed"][0]["detail"]}
    ]
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=crew)
    # The crew owns what it imported.
    await api.call(
        "PATCH", f"/v1/clues/{clues[0]['id']}", 200, headers=crew, json={"label": "Renamed"}
    )
    _, answer = await api.call(
        "POST", path, 403, headers=api.auth(Role.HUNTER, "1"), json=collection(features)
    )
    assert answer["code"] == "forbidden"
    _, answer = await api.call("POST", path, 401, json=collection(features))
    assert answer["code"] == "unauthorized"
    scoped = api.auth(Role.FIELD, "crew-scoped", hunt="another-hunt")
    _, answer = await api.call("POST", path, 403, headers=scoped, json=collection(features))
    assert answer["code"] == "forbidden"
    _, answer = await api.call(
        "POST",
        "/v1/hunts/no-such-hunt/clues/import",
        404,
        headers=api.organiser,
        json=collection(features),
    )
    assert answer["code"] == "not_found"
    _, result = await api.call("POST", path, 200, headers=api.organiser, json=collection([]))
    assert result == {"created": 0, "failed": []}


async def test_import_refuses_what_is_not_a_feature_collection(api: Api) -> None:
    hunt = await make_hunt(api)
    path = f"/v1/hunts/{hunt.slug}/clues/import"
    bodies: list[bytes] = [
        b"{not json",
        b"[]",
        b'"FeatureCollection"',
        b'{"type": "Feature"}',
        b'{"type": "FeatureCollection"}',
        b'{"type": "FeatureCollection", "features": {}}',
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe",
        b"",
    ]
    for raw in bodies:
        _, answer = await api.call(
            "POST",
            path,
            400,
            data=raw,
            headers={**api.organiser, "Content-Type": "application/json"},
        )
        assert answer["code"] == "invalid_request", raw[:40]
    # Over the import size limit.
    limit = api.settings.import_max_bytes
    big = b'{"type": "FeatureCollection", "features": [' + b" " * limit + b"]}"
    _, answer = await api.call(
        "POST", path, 413, data=big, headers={**api.organiser, "Content-Type": "application/json"}
    )
    assert answer["code"] == "payload_too_large"


async def test_imported_coordinates_must_be_finite(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    raw = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        f'{{"kind": "billboard", "collectible": "{key}", "label": "NaN"}}, '
        '"geometry": {"type": "Point", "coordinates": [NaN, Infinity]}}]}'
    )
    for literal in ("[NaN, 40.7]", "[-73.9, Infinity]"):
        _, answer = await api.call(
            "POST",
            f"/v1/hunts/{hunt.slug}/clues/import",
            400,
            data=raw.replace("[NaN, Infinity]", literal).encode(),
            headers={**api.organiser, "Content-Type": "application/json"},
        )
        # Not JSON at all (JSON has no NaN): the whole body is refused, no clue at NaN.
        assert answer["code"] == "invalid_request", literal
    # 1e400 is JSON, but no finite number: that feature fails, like any out-of-range position.
    _, result = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues/import",
        200,
        data=raw.replace("[NaN, Infinity]", "[-73.9, 1e400]").encode(),
        headers={**api.organiser, "Content-Type": "application/json"},
    )
    assert result["created"] == 0
    assert [(f["index"], f["code"]) for f in result["failed"]] == [(0, "invalid_request")]
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert clues == []


# --- the command line --------------------------------------------------------------------------


async def run_cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    env = {
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "GEOHUNT_SECRET": settings.secret.decode(),
        "PUBLIC_BASE_URL": settings.public_base_url,
    }
    return await run_geohunt(env, *args)


async def test_cli_import_reports_failures_and_exits_1(api: Api, tmp_path: Path) -> None:
    hunt = await make_hunt(api)
    features, expected = await mixed_features(hunt)
    source = tmp_path / "clues.geojson"
    source.write_text(json.dumps(collection(features)))
    code, out, err = await run_cli(
        api.settings, "import-clues", str(source), "--hunt", hunt.slug, "--as", "cli-tester"
    )
    assert code == 1, (out, err)
    lines = out.splitlines()
    assert lines[0] == f"created {len(GOOD)} clues, {len(expected)} failed"
    reported = {}
    for line in lines[1:]:
        head, _, rest = line.strip().partition(": ")
        assert head.startswith("feature ")
        reported[int(head.removeprefix("feature "))] = rest.split(": ", 1)[0]
    assert reported == expected
    # The good ones are in the hunt, authored by --as, and this server scans them.
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert [c["label"] for c in clues] == [features[i]["properties"]["label"] for i in GOOD]
    _, history = await api.call(
        "GET", f"/v1/clues/{clues[0]['id']}/history", 200, headers=api.organiser
    )
    assert [(h["action"], h["by"]) for h in history] == [("imported", "cli-tester")]
    _, me = await api.hunter()
    await api.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clues[0]), **at(TIMES_SQUARE)}
    )


async def test_cli_import_all_good_exits_0(api: Api, tmp_path: Path) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    lat, lon = TIMES_SQUARE
    source = tmp_path / "good.geojson"
    source.write_text(
        json.dumps(
            collection(
                [
                    point(lat, lon, kind="billboard", collectible=key, label="One"),
                    polygon(
                        lat,
                        lon,
                        kind="ar",
                        collectible=key,
                        label="Two",
                        ar={"asset_url": "https://img.example/two.glb"},
                    ),
                ]
            )
        )
    )
    code, out, err = await run_cli(api.settings, "import-clues", str(source), "--hunt", hunt.slug)
    assert code == 0, (out, err)
    assert out.strip() == "created 2 clues, 0 failed"
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert [c["label"] for c in clues] == ["One", "Two"]
    _, history = await api.call(
        "GET", f"/v1/clues/{clues[0]['id']}/history", 200, headers=api.organiser
    )
    assert history[0]["by"] == "cli"


async def test_cli_import_refusals(api: Api, tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text("{not json")
    code, out, err = await run_cli(api.settings, "import-clues", str(source), "--hunt", "x-hunt")
    assert code != 0 and "is not JSON" in err
    source.write_text(json.dumps({"type": "Feature"}))
    code, _, err = await run_cli(api.settings, "import-clues", str(source), "--hunt", "x-hunt")
    assert code != 0 and "FeatureCollection" in err
    source.write_text(json.dumps(collection([])))
    code, _, err = await run_cli(
        api.settings, "import-clues", str(source), "--hunt", "no-such-hunt-at-all"
    )
    assert code != 0 and "no hunt" in err
