"""Clue import from GeoJSON, through the API and through `geohunt import-clues`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from infra.settings import Settings
from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, Hunt, at, make_hunt, post_scan, square_polygon
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
    assert result == {"created": 120, "updated": 0, "unchanged": 0, "failed": []}
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
    assert result == {"created": 0, "updated": 0, "unchanged": 0, "failed": []}


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
    assert lines[0] == (f"created {len(GOOD)}, updated 0, unchanged 0, failed {len(expected)}")
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
    assert out.strip() == "created 2, updated 0, unchanged 0, failed 0"
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


# --- imports that can be re-run ------------------------------------------------------------------


async def import_file(api: Api, hunt: Hunt, features: list[Any], **kwargs: Any) -> Any:
    _, result = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues/import",
        200,
        headers=kwargs.pop("headers", api.organiser),
        json=collection(features),
    )
    return result


async def sites(hunt: Hunt) -> tuple[str, list[Any]]:
    """A collectible and a file naming each of its sites, in every way a feature can."""
    key = await hunt.collectible()
    lat, lon = TIMES_SQUARE
    features: list[Any] = [
        {**point(lat, lon, kind="billboard", collectible=key, label="Station"), "id": "station"},
        {**polygon(lat + 0.01, lon, kind="digital", collectible=key, label="Screen"), "id": 17},
        point(lat + 0.02, lon, kind="billboard", collectible=key, label="Mall", ref="mall"),
        {
            "type": "Feature",
            "id": "drop-1",
            "geometry": None,
            "properties": {"kind": "social", "collectible": key, "label": "Drop", "max_finds": 5},
        },
        {
            **point(
                lat,
                lon + 0.01,
                kind="ar",
                collectible=key,
                label="Robot",
                radius_m=30,
                ar={"asset_url": "https://img.example/r.glb", "scale": 2},
            ),
            "id": "robot",
        },
    ]
    return key, features


async def test_importing_the_same_file_again_changes_nothing(api: Api) -> None:
    hunt = await make_hunt(api)
    _, features = await sites(hunt)
    first = await import_file(api, hunt, features)
    assert first == {"created": 5, "updated": 0, "unchanged": 0, "failed": []}
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert [c["ref"] for c in clues] == ["station", "17", "mall", "drop-1", "robot"]
    again = await import_file(api, hunt, features)
    assert again == {"created": 0, "updated": 0, "unchanged": 5, "failed": []}
    _, after = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert after == clues
    for clue in clues:
        _, history = await api.call(
            "GET", f"/v1/clues/{clue['id']}/history", 200, headers=api.organiser
        )
        assert [h["action"] for h in history] == ["imported"]


async def test_a_changed_feature_updates_its_clue_and_its_history(api: Api) -> None:
    hunt = await make_hunt(api)
    key, features = await sites(hunt)
    await import_file(api, hunt, features)
    _, before = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    lat, lon = TIMES_SQUARE
    changed = list(features)
    changed[0] = {
        **point(lat + 0.001, lon, kind="billboard", collectible=key, label="Station, east exit"),
        "id": "station",
    }
    changed[3] = {**features[3], "properties": {**features[3]["properties"], "max_finds": 9}}
    # A new site, and one without a name: created (the latter at every import).
    changed.append(point(lat, lon, kind="billboard", collectible=key, label="Kiosk", ref="kiosk"))
    changed.append(point(lat, lon, kind="billboard", collectible=key, label="Nameless"))
    result = await import_file(api, hunt, changed)
    assert result == {"created": 2, "updated": 2, "unchanged": 3, "failed": []}
    _, after = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    by_ref = {c["ref"]: c for c in after}
    station = by_ref["station"]
    assert station["id"] == before[0]["id"] and station["label"] == "Station, east exit"
    assert station["location"] == {"lat": lat + 0.001, "lon": lon}
    assert by_ref["drop-1"]["max_finds"] == 9
    _, history = await api.call(
        "GET", f"/v1/clues/{station['id']}/history", 200, headers=api.organiser
    )
    assert [(h["action"], h["role"]) for h in history] == [
        ("imported", "organiser"),
        ("updated", "organiser"),
    ]
    assert history[1]["changes"] == {
        "lat": {"from": lat, "to": lat + 0.001},
        "label": {"from": "Station", "to": "Station, east exit"},
    }
    # The changes are live: the moved billboard scans at its new place.
    _, me = await api.hunter()
    await post_scan(api, me, hunt.code(station), 201, **at((lat + 0.001, lon)))
    # Importing the changed file again: nothing changes, but the nameless one is new again.
    result = await import_file(api, hunt, changed)
    assert result == {"created": 1, "updated": 0, "unchanged": 6, "failed": []}


async def test_a_re_import_reports_what_it_cannot_do(api: Api) -> None:
    hunt = await make_hunt(api)
    key, features = await sites(hunt)
    await import_file(api, hunt, features)
    other = await hunt.collectible()
    lat, lon = TIMES_SQUARE
    mixed: list[Any] = [
        features[0],  # 0: unchanged
        {**features[2], "properties": {**features[2]["properties"], "kind": "digital"}},  # 1
        {**features[4], "properties": {**features[4]["properties"], "radius_m": 2}},  # 2
        {**point(lat, lon, kind="billboard", collectible=other, label="Station"), "id": "station"},
        {**point(lat, lon, kind="billboard", collectible=key, label="Again"), "id": "fresh"},  # 4
        {**point(lat, lon, kind="billboard", collectible=key, label="Twice"), "id": "fresh"},  # 5
        {**point(lat, lon, kind="billboard", collectible=key, label="Bad id"), "id": 1.5},  # 6
        {
            **point(lat, lon, kind="billboard", collectible=key, label="Two names", ref="x"),
            "id": "y",
        },
        {**point(lat, lon, kind="billboard", collectible=key, label="Long"), "id": "x" * 201},  # 8
        {**point(lat, lon, kind="billboard", collectible=key, label="Same", ref=9), "id": 9},
    ]
    result = await import_file(api, hunt, mixed)
    assert {f["index"]: f["code"] for f in result["failed"]} == {
        1: "conflict",
        2: "invalid_geofence",
        3: "conflict",
        5: "conflict",
        6: "invalid_request",
        7: "invalid_request",
        8: "invalid_request",
    }
    assert [f["index"] for f in result["failed"]] == [1, 2, 3, 5, 6, 7, 8]
    assert all(f["detail"] for f in result["failed"])
    assert (result["created"], result["updated"], result["unchanged"]) == (2, 0, 1)
    # A field crew may not change a site an organiser imported (but may add its own).
    crew = api.auth(Role.FIELD, "crew-reimport")
    moved = {**features[0], "properties": {**features[0]["properties"], "label": "Crew's"}}
    result = await import_file(api, hunt, [moved], headers=crew)
    assert [(f["index"], f["code"]) for f in result["failed"]] == [(0, "forbidden")]
    # A clue that has finds keeps at least that many.
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    drop = next(c for c in clues if c["ref"] == "drop-1")
    for _ in range(2):
        _, fan = await api.hunter()
        await post_scan(api, fan, hunt.code(drop), 201)
    fewer = {**features[3], "properties": {**features[3]["properties"], "max_finds": 1}}
    result = await import_file(api, hunt, [fewer])
    assert [(f["index"], f["code"]) for f in result["failed"]] == [(0, "conflict")]


async def test_two_imports_of_one_file_at_once_create_each_site_once(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    lat, lon = TIMES_SQUARE
    features = [
        {**point(lat + i * 0.0001, lon, kind="billboard", collectible=key, label=f"s{i}"), "id": i}
        for i in range(40)
    ]
    results = await asyncio.gather(*(import_file(api, hunt, features) for _ in range(3)))
    assert sorted(r["created"] for r in results) == [0, 0, 40]
    assert sorted(r["unchanged"] for r in results) == [0, 40, 40]
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert len(clues) == 40


async def test_cli_import_again_prints_the_same_report(api: Api, tmp_path: Path) -> None:
    hunt = await make_hunt(api)
    key, features = await sites(hunt)
    lat, lon = TIMES_SQUARE
    features.append({**point(lat, lon, kind="billboard", collectible="nope", label="X"), "id": 1})
    source = tmp_path / "sites.geojson"
    source.write_text(json.dumps(collection(features)))
    code, out, err = await run_cli(api.settings, "import-clues", str(source), "--hunt", hunt.slug)
    assert code == 1, (out, err)
    assert out.splitlines()[0] == "created 5, updated 0, unchanged 0, failed 1"
    assert out.splitlines()[1].startswith("  feature 5: not_found: ")
    features[0] = {**features[0], "properties": {**features[0]["properties"], "city": "NYC"}}
    features.pop()
    source.write_text(json.dumps(collection(features)))
    code, out, err = await run_cli(api.settings, "import-clues", str(source), "--hunt", hunt.slug)
    assert code == 0, (out, err)
    assert out.strip() == "created 0, updated 1, unchanged 4, failed 0"
    # The API's answer for the same file is the same report.
    assert await import_file(api, hunt, features) == {
        "created": 0,
        "updated": 0,
        "unchanged": 5,
        "failed": [],
    }
