"""The HTTP edge against hostile bodies: malformed bodies refused as invalid requests,
oversize ones as too large, bodies arriving in pieces or compressed, broken HTTP framing, and the
clue import's own body reader.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.app import create_app
from tests.support.api import Api, unique
from tests.support.builders import TIMES_SQUARE, at, iso, make_hunt
from tests.support.security import (
    PROBLEM,
    Fixtures,
    assert_problem,
    call_raw,
    make_fixtures,
    problem_code,
)

# --- malformed and oversize bodies ----------------------------------------------------------------


@pytest.fixture
async def world(api: Api) -> Fixtures:
    return await make_fixtures(api)


def _hunt_body(**changes: Any) -> bytes:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "slug": unique("bad"),
        "name": "n",
        "starts_at": iso(now),
        "ends_at": iso(now + timedelta(hours=1)),
    }
    body.update(changes)
    return json.dumps(body).encode()


def _with_literal(body: bytes, marker: str, literal: str) -> bytes:
    return body.replace(f'"{marker}"'.encode(), literal.encode())


def malformed(world: Fixtures) -> list[tuple[str, str, str, bytes]]:
    slug = world.hunt.slug
    clue = world.clues["billboard"]["id"]
    collectible = world.clues["billboard"]["collectible"]
    clue_path = f"/v1/hunts/{slug}/clues"

    def new_clue(**changes: Any) -> bytes:
        body = {"kind": "billboard", "collectible": collectible, "label": "x"}
        body["location"] = {"lat": TIMES_SQUARE[0], "lon": TIMES_SQUARE[1]}
        return json.dumps({**body, **changes}).encode()

    def scan(**changes: Any) -> bytes:
        return json.dumps({"code": "x", **at(TIMES_SQUARE), **changes}).encode()

    cases: list[tuple[str, str, str, bytes]] = []
    for name, raw in {
        "truncated JSON": b'{"slug": ',
        "empty body": b"",
        "JSON null": b"null",
        "an array": b"[]",
        "a string": b'"hunt"',
        "trailing garbage": _hunt_body() + b" x",
        "two documents": _hunt_body() + _hunt_body(),
        "invalid UTF-8": b'{"slug": "\xff\xfe"}',
        "lone surrogate escape": _hunt_body(name="\\ud800").replace(b"\\\\ud800", b"\\ud800"),
        "single quotes": b"{'slug': 'a'}",
        "comments": b'{"slug": "a" /* x */}',
        "deep nesting": b"[" * 100_000,
        "NaN literal": _with_literal(_hunt_body(rules={"max_accuracy_m": "@"}), "@", "NaN"),
        "Infinity literal": _with_literal(
            _hunt_body(rules={"max_speed_kmh": "@"}), "@", "Infinity"
        ),
        "-Infinity literal": _with_literal(
            _hunt_body(rules={"travel_floor_m": "@"}), "@", "-Infinity"
        ),
        "overflowing number": _with_literal(_hunt_body(rules={"rotate_s": "@"}), "@", "1e999"),
        "wrong type: name": _hunt_body(name=5),
        "wrong type: slug": _hunt_body(slug=["a"]),
        "wrong type: number as string": _hunt_body(rules={"rotate_s": "30"}),
        "wrong type: bool as number": _hunt_body(rules={"rotate_s": True}),
        "unknown field": _hunt_body(admin=True),
        "unknown rule": _hunt_body(rules={"godmode": 1}),
        "naive time": _hunt_body(starts_at="2030-01-01T00:00:00"),
        "not a time": _hunt_body(starts_at="tomorrow"),
        "time overflowing UTC": _hunt_body(starts_at="0001-01-01T00:00:00+14:00"),
        "time past year 9999 in UTC": _hunt_body(ends_at="9999-12-31T23:59:59-14:00"),
        "NUL in text": _hunt_body(name="a\x00b"),
        "SQL in the slug": _hunt_body(slug="x'; DROP TABLE hunts;--"),
        "name too long": _hunt_body(name="n" * 201),
    }.items():
        cases.append((f"hunt: {name}", "POST", "/v1/hunts", raw))
    for name, raw in {
        "unknown kind": new_clue(kind="hologram"),
        "kind in capitals": new_clue(kind="BILLBOARD"),
        "lat above 90": new_clue(location={"lat": 90.000001, "lon": 0}),
        "lat below -90": new_clue(location={"lat": -91, "lon": 0}),
        "lon above 180": new_clue(location={"lat": 0, "lon": 180.5}),
        "lon below -180": new_clue(location={"lat": 0, "lon": -1000}),
        "lat as string": new_clue(location={"lat": "40.7", "lon": 0}),
        "lat as bool": new_clue(location={"lat": True, "lon": 0}),
        "huge integer lat": new_clue(location={"lat": 10**400, "lon": 0}),
        "NaN lat": _with_literal(new_clue(location={"lat": "@", "lon": 0}), "@", "NaN"),
        "NaN in a geofence": _with_literal(new_clue(geofence={"radius_m": "@"}), "@", "NaN"),
        "Infinity in a polygon": _with_literal(
            new_clue(geofence={"type": "Polygon", "coordinates": [[["@", 1]]]}), "@", "Infinity"
        ),
        "1e999 in a polygon": _with_literal(
            new_clue(geofence={"type": "Polygon", "coordinates": [[["@", 1]]]}), "@", "1e999"
        ),
        "negative max_finds": new_clue(max_finds=-1),
        "fractional max_finds": new_clue(max_finds=1.5),
        "label null": new_clue(label=None),
    }.items():
        cases.append((f"clue: {name}", "POST", clue_path, raw))
    for name, raw in {
        "lat out of range": json.dumps({"location": {"lat": 95, "lon": 0}}).encode(),
        "active as string": b'{"active": "yes"}',
        "label null": b'{"label": null}',
        "location null": b'{"location": null}',
        "unknown field": b'{"kind": "social"}',
    }.items():
        cases.append((f"clue patch: {name}", "PATCH", f"/v1/clues/{clue}", raw))
    for name, raw in {
        "lat above 90": scan(lat=90.5),
        "lon below -180": scan(lon=-180.5),
        "NaN lat": _with_literal(scan(lat="@"), "@", "NaN"),
        "Infinity accuracy": _with_literal(scan(accuracy_m="@"), "@", "Infinity"),
        "negative accuracy": scan(accuracy_m=-1),
        "code as number": scan(code=5),
        "code too long": scan(code="x" * 513),
        "scanned_at not a time": scan(scanned_at="now"),
        "NUL in device_id": scan(device_id="\x00"),
        "truncated": b'{"code": "x", "lat": 4',
    }.items():
        cases.append((f"scan: {name}", "POST", "/v1/scans", raw))
    for name, raw in {
        "unknown role": b'{"role": "admin", "sub": "x"}',
        "ttl overflow": b'{"role": "screen", "sub": "x", "ttl_s": 1e999}',
        "sub with SQL": b'{"role": "screen", "sub": "x\'; --"}',
    }.items():
        cases.append((f"token: {name}", "POST", "/v1/auth/tokens", raw))
    cases.append(
        (
            "patch hunt: rotate_s too small",
            "PATCH",
            f"/v1/hunts/{slug}",
            b'{"rules": {"rotate_s": 1}}',
        )
    )
    cases.append(
        (
            "collectible: bad url",
            "POST",
            f"/v1/hunts/{slug}/collectibles",
            b'{"key": "k2", "name": "n", "image_url": "javascript:alert(1)"}',
        )
    )
    return cases


async def test_malformed_bodies_are_invalid_request(api: Api, world: Fixtures) -> None:
    _, hunter = await api.hunter()
    wrong: list[str] = []
    for name, method, path, raw in malformed(world):
        headers = hunter if path == "/v1/scans" else api.organiser
        headers = {**headers, "Content-Type": "application/json"}
        status, media, _, body = await call_raw(api, method, path, headers=headers, data=raw)
        if (status, media) != (400, PROBLEM) or problem_code(body) != "invalid_request":
            wrong.append(f"{name}: {status} {media} {body}")
    assert not wrong, "\n".join(wrong)


async def _chunks(total: int, size: int = 65536) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b" " * min(size, total - sent)
        sent += len(chunk)
        yield chunk


async def test_oversize_bodies_are_payload_too_large(api: Api, world: Fixtures) -> None:
    limit = api.settings.max_body_bytes
    _, hunter = await api.hunter()
    padded = _hunt_body(description="d" * 4000)
    for method, path, headers in (
        ("POST", "/v1/hunts", api.organiser),
        ("PATCH", f"/v1/hunts/{world.hunt.slug}", api.organiser),
        ("POST", "/v1/scans", hunter),
        ("POST", "/v1/auth/hunters", {}),
    ):
        # With a Content-Length, and streamed without one (chunked).
        for data in (padded + b" " * (limit + 1 - len(padded)), _chunks(limit + 1)):
            status, media, _, body = await call_raw(
                api,
                method,
                path,
                headers={**headers, "Content-Type": "application/json"},
                data=data,
            )
            assert media == PROBLEM, (path, status, body)
            assert_problem(status, body, 413, "payload_too_large")
    # Exactly at the limit is read and judged on its content.
    at_limit = padded + b" " * (limit - len(padded))
    status, body = await api.call("POST", "/v1/hunts", headers=api.organiser, data=at_limit)
    assert status == 201, body


async def test_bodies_arriving_in_pieces_are_read_whole(api: Api, world: Fixtures) -> None:
    """Under the limit, a body is read to its end however it arrives (once, only its first
    TCP segments were read, and a valid large body was refused as truncated JSON)."""
    padding = b" " * 600_000
    body = _hunt_body(description="d" * 5000) + padding

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]
            await asyncio.sleep(0)

    headers = {**api.organiser, "Content-Type": "application/json"}
    status, answer = await api.call("POST", "/v1/hunts", headers=headers, data=pieces())
    assert status == 201, answer
    status, answer = await api.call(
        "POST", "/v1/hunts", headers=headers, data=_hunt_body(description="e" * 5000) + padding
    )
    assert status == 201, answer
    collectible = world.clues["billboard"]["collectible"]
    features = [
        {
            "type": "Feature",
            "properties": {"kind": "social", "collectible": collectible, "label": f"drop {i}"},
            "geometry": None,
        }
        for i in range(1500)
    ]
    _, answer = await api.call(
        "POST",
        f"/v1/hunts/{world.hunt.slug}/clues/import",
        200,
        headers=api.organiser,
        json={"type": "FeatureCollection", "features": features},
    )
    assert answer == {"created": 1500, "updated": 0, "unchanged": 0, "failed": []}


async def test_compressed_bodies(api: Api) -> None:
    """aiohttp inflates `Content-Encoding: gzip` bodies: a good one is read, a broken one is a
    400 problem (it was a 500), and a small bomb stops at the limit. The client goes on using
    its pooled connections: an answer given before the body was read says `Connection: close`.
    """
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    handle = unique("gz")[:20]
    good = gzip.compress(json.dumps({"handle": handle}).encode())
    status, body = await api.call("POST", "/v1/auth/hunters", headers=headers, data=good)
    assert status == 201, body
    status, body = await api.call("POST", "/v1/auth/hunters", headers=headers, data=b"not gzip")
    assert_problem(status, body, 400, "invalid_request")
    bomb = gzip.compress(b" " * (50 * api.settings.max_body_bytes))
    assert len(bomb) < api.settings.max_body_bytes // 10
    status, body = await api.call("POST", "/v1/auth/hunters", headers=headers, data=bomb)
    assert_problem(status, body, 413, "payload_too_large")


async def test_broken_http_framing_is_never_a_server_error(api: Api) -> None:
    """Refused by aiohttp's parser before the app runs: a 400, though in aiohttp's text/plain
    and not as a problem (the app never sees these requests)."""
    port = api.client.server.port
    for raw in (
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 20_000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n",
        b"POST /v1/auth/hunters HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
        b"POST /v1/auth/hunters HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /v1/hunts/" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        await writer.wait_closed()
        assert status_line.split()[1:2] == [b"400"], (raw[:60], status_line)


async def test_import_over_its_limit_is_payload_too_large(
    aiohttp_client: Any, settings_factory: Any
) -> None:
    small = settings_factory(import_max_bytes=4096)
    api = Api(await aiohttp_client(create_app(small)), small)
    hunt = await make_hunt(api)
    features = [{"type": "Feature", "properties": {"label": "x" * 100}, "geometry": None}] * 50
    status, body = await api.call(
        "POST",
        f"/v1/hunts/{hunt.slug}/clues/import",
        headers=api.organiser,
        json={"type": "FeatureCollection", "features": features},
    )
    assert_problem(status, body, 413, "payload_too_large")


async def test_import_refuses_what_is_not_json(api: Api, world: Fixtures) -> None:
    """The import reads its own (larger) body: it must refuse the same non-JSON as the rest
    (it once took `NaN`/`Infinity` literals through `json.loads`, and a deep nesting was a
    RecursionError, a 500)."""
    path = f"/v1/hunts/{world.hunt.slug}/clues/import"
    collectible = world.clues["billboard"]["collectible"]
    feature = {
        "type": "Feature",
        "properties": {"kind": "billboard", "collectible": collectible, "label": "x"},
        "geometry": {"type": "Point", "coordinates": ["@", 40.7]},
    }
    nan = json.dumps({"type": "FeatureCollection", "features": [feature]}).replace('"@"', "NaN")
    wrong: list[str] = []
    for name, raw in {
        "deep nesting": b"[" * 100_000,
        "deep nesting in a feature": b'{"type": "FeatureCollection", "features": [' + b"[" * 50_000,
        "NaN literal": nan.encode(),
        "Infinity literal": nan.replace("NaN", "Infinity").encode(),
        "invalid UTF-8": b'{"type": "FeatureCollection", "features": [], "x": "\xff"}',
    }.items():
        status, media, _, body = await call_raw(
            api,
            "POST",
            path,
            headers={**api.organiser, "Content-Type": "application/json"},
            data=raw,
        )
        if (status, media) != (400, PROBLEM) or problem_code(body) != "invalid_request":
            wrong.append(f"{name}: {status} {body}")
    assert not wrong, "\n".join(wrong)
