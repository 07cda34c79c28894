"""The served /openapi.json is valid OpenAPI 3.1 and describes exactly what the app serves."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hunt_engine.codes import TICKET_TTL_S, ticket_code
from server.http import openapi
from server.http.auth import Role
from server.route_table import ROUTES
from tests.support.api import Api, unique
from tests.support.builders import TIMES_SQUARE, at, iso, make_hunt

JSON = {"Content-Type": "application/json"}

UNAVAILABLE = {"$ref": "#/components/responses/Unavailable"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
async def document(api: Api) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status == 200 and response.content_type == "application/json"
    body = await response.json()
    assert isinstance(body, dict)
    return body


def operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }


def walk(node: Any, where: str = "#") -> list[tuple[str, Any]]:
    """Every (pointer, value) pair of a JSON document, depth first."""
    found = [(where, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += walk(value, f"{where}/{index}")
    return found


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_validates_as_openapi_3_1(document: dict[str, Any]) -> None:
    import openapi_spec_validator as validator

    assert document["openapi"].startswith("3.1.")
    errors = [e.message for e in validator.OpenAPIV31SpecValidator(document).iter_errors()]
    assert not errors, errors[:10]


def test_structure(document: dict[str, Any]) -> None:
    """What the validator checks that matters most, checked even where it is not installed."""
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    # Every reference resolves inside the document; no `$defs` was left where a `#/$defs/...`
    # reference would resolve against the document root (it never does in OpenAPI 3.1).
    for pointer, value in walk(document):
        if pointer.endswith("/$ref"):
            resolve(document, value)
        assert not pointer.endswith("/$defs"), pointer
    ids = Counter(
        op["operationId"]
        for item in document["paths"].values()
        for method, op in item.items()
        if method in METHODS
    )
    assert all(n == 1 for n in ids.values()), ids
    for path, item in document["paths"].items():
        assert path.startswith("/"), path
        for method, op in item.items():
            assert method in METHODS, (path, method)
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            for param in op["parameters"]:
                assert param["in"] in ("path", "query", "header", "cookie"), param
                assert "schema" in param and (param["in"] != "path" or param["required"])
            assert op["responses"], (method, path)
            for status, answer in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status), (method, path, status)
                if int(status) >= 400 and answer != UNAVAILABLE:
                    assert answer == {"$ref": "#/components/responses/Problem"}, (path, status)


def test_every_route_is_described_as_declared(document: dict[str, Any]) -> None:
    described = operations(document)
    for spec in ROUTES:
        assert (spec.method, spec.path) in described, f"{spec.method} {spec.path} undescribed"
        op = document["paths"][spec.path][spec.method.lower()]
        assert op["operationId"] == spec.handler.__name__
        assert str(spec.ok_status) in op["responses"]
        if spec.roles:
            assert op["security"] == [{"bearer": []}]
            assert {"401", "403"} <= set(op["responses"])
        elif not spec.optional_auth:
            assert "security" not in op, (spec.method, spec.path)
        if spec.body is not None or spec.raw_body is not None:
            assert op["requestBody"]["required"] is True
            assert {"400", "413"} <= set(op["responses"])
        else:
            assert "requestBody" not in op
        for status in spec.errors:
            assert str(status) in op["responses"], (spec.method, spec.path, status)
        if "{" in spec.path:
            assert "404" in op["responses"], (spec.method, spec.path)
    assert len(described) == len(ROUTES), "described operations that no route declares"


def test_every_route_but_the_probes_may_be_answered_503_with_retry_after(
    document: dict[str, Any],
) -> None:
    for spec in ROUTES:
        responses = document["paths"][spec.path][spec.method.lower()]["responses"]
        if spec.path in ("/healthz", "/metrics"):
            assert "503" not in responses, spec.path  # never shed, never ask the database
        elif spec.path == "/readyz":
            assert responses["503"] == {"$ref": "#/components/responses/Problem"}
        else:
            assert responses["503"] == UNAVAILABLE, (spec.method, spec.path)
    unavailable = document["components"]["responses"]["Unavailable"]
    assert unavailable["headers"]["Retry-After"]["required"] is True
    assert set(unavailable["content"]) == {"application/problem+json"}


def test_every_described_operation_is_served(api: Api, document: dict[str, Any]) -> None:
    served = {
        (route.method, route.resource.canonical)
        for route in api.client.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    described = operations(document)
    assert described - served == set(), "described but not served"
    assert served - described == set(), "served but not described"


def test_served_document_is_the_route_table(document: dict[str, Any]) -> None:
    assert document == openapi.build(ROUTES)


async def test_import_body_schema_admits_what_import_accepts(
    api: Api, document: dict[str, Any]
) -> None:
    """The import reports a feature that is not an object in `failed`, with a 200, so its
    description must not say every feature is an object (schemathesis counts such a 200 as
    accepted invalid data)."""
    import jsonschema_rs

    hunt = await make_hunt(api)
    body = {"type": "FeatureCollection", "features": [[None, None], 5, "x"]}
    _, answer = await api.call(
        "POST", f"/v1/hunts/{hunt.slug}/clues/import", 200, headers=api.organiser, json=body
    )
    assert answer["created"] == 0 and [f["index"] for f in answer["failed"]] == [0, 1, 2]
    op = document["paths"]["/v1/hunts/{slug}/clues/import"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    errors = [str(e) for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
    assert not errors, errors


async def test_clue_patch_declares_its_conflict(api: Api, document: dict[str, Any]) -> None:
    """A clue's max_finds cannot go below its finds: a 409 the description must list.
    Fails until `server/clues/routes.py` `patch_clue` declares `errors=(..., 409)`."""
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    _, me = await api.hunter()
    scan = {"code": hunt.code(clue), "lat": TIMES_SQUARE[0], "lon": TIMES_SQUARE[1]}
    await api.call("POST", "/v1/scans", 201, headers=me, json={**scan, "accuracy_m": 10})
    _, answer = await api.call(
        "PATCH", f"/v1/clues/{clue['id']}", 409, headers=api.organiser, json={"max_finds": 0}
    )
    assert answer["code"] == "conflict"
    assert "409" in document["paths"]["/v1/clues/{clue_id}"]["patch"]["responses"]


# --- the description says what the server enforces (hardening issue, finding 9) --------------


def described(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A validator of `schema` (which may refer to the document's components), formats
    asserted: what the description promises about a value."""
    import jsonschema_rs

    root = {**schema, "components": document["components"]}
    return jsonschema_rs.validator_for(root, validate_formats=True)


def body_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    op = document["paths"][path][method]
    schema: dict[str, Any] = op["requestBody"]["content"]["application/json"]["schema"]
    return schema


def query_params(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    op = document["paths"][path][method]
    return {p["name"]: p for p in op["parameters"] if p["in"] == "query"}


def test_no_pydantic_keyword_leaks_into_the_description(document: dict[str, Any]) -> None:
    """`Field(ge=...)` placed after a validator is written out as `ge`, which JSON Schema does
    not know: the bound would be enforced but not described."""
    for pointer, value in walk(document):
        if isinstance(value, dict) and "type" in value:
            leaked = {"ge", "le", "gt", "lt", "min_length", "max_length"} & set(value)
            assert not leaked, (pointer, leaked)
        assert not pointer.endswith("/x-geohunt-required"), pointer


async def test_times_are_rfc3339_only(api: Api, document: dict[str, Any]) -> None:
    """`scanned_at` (like every time the API reads) is an RFC 3339 date-time with an offset:
    Unix seconds, as text or as a number, are refused, and the description says so."""
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    _, me = await api.hunter()
    base = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    schema = described(document, body_schema(document, "post", "/v1/scans"))
    for bad in (
        "1764870000",
        1764870000,
        1764870000.5,
        "1764870000.5",
        "2025-12-04 17:40:00Z",
        "2025-12-04T17:40:00+0100",
        "2025-12-04T17:40Z",
        "2025-12-04T17:40:00",
        "2025-12-04",
        "1969-12-31T23:59:59Z",
        "9000-01-01T00:00:00Z",
        "2025-02-29T12:00:00Z",
    ):
        body = {**base, "scanned_at": bad}
        _, answer = await api.call("POST", "/v1/scans", 400, headers=me, json=body)
        assert answer["code"] == "invalid_request" and "scanned_at" in answer["detail"], bad
        assert not schema.is_valid(body), bad
    now = datetime.now(UTC)
    for good in (
        now.isoformat(),
        now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        now.astimezone(timezone(timedelta(hours=-5))).isoformat(),
        now.strftime("%Y-%m-%dt%H:%M:%S.%fz"),
    ):
        assert schema.is_valid({**base, "scanned_at": good}), good
    body = {**base, "scanned_at": now.isoformat()}
    _, answer = await api.call("POST", "/v1/scans", 201, headers=me, json=body)
    assert answer["find"]["clue_id"] == clue["id"]


async def test_integers_in_a_body_are_json_numbers_of_whole_value(
    api: Api, document: dict[str, Any]
) -> None:
    """JSON Schema's "integer" (2020-12) is any number whose value is whole, so `30.0` and
    `3e1` are the integer 30: the server takes them as the description says. `30.5`, `"30"`
    and `true` are refused by both."""
    slug = unique("ints")
    now = datetime.now(UTC)
    hunt_body = {
        "slug": slug,
        "name": "Integers",
        "starts_at": iso(now - timedelta(hours=1)),
        "ends_at": iso(now + timedelta(hours=1)),
    }
    schema = described(document, body_schema(document, "post", "/v1/hunts"))
    raw = json.dumps({**hunt_body, "rules": {"rotate_s": "@R", "scans_per_minute": "@S"}})
    raw = raw.replace('"@R"', "30.0").replace('"@S"', "6e1")
    assert schema.is_valid(json.loads(raw))
    _, hunt = await api.call(
        "POST", "/v1/hunts", 201, headers={**api.organiser, **JSON}, data=raw.encode()
    )
    assert hunt["rules"]["rotate_s"] == 30 and hunt["rules"]["scans_per_minute"] == 60
    for bad in (30.5, "30", True, 1e400):
        body = {**hunt_body, "slug": unique("ints"), "rules": {"rotate_s": bad}}
        assert not schema.is_valid(body), bad
        raw = json.dumps(body).replace("Infinity", "1e400")
        _, answer = await api.call(
            "POST", "/v1/hunts", 400, headers={**api.organiser, **JSON}, data=raw.encode()
        )
        assert answer["code"] == "invalid_request", bad
    # The same for every integer of a body, e.g. a collectible's supply and a clue's max_finds.
    key = unique("c")
    collectible = {"key": key, "name": "C", "image_url": "https://img.example/c.png"}
    await api.call(
        "POST",
        f"/v1/hunts/{slug}/collectibles",
        201,
        headers=api.organiser,
        json={**collectible, "supply": 5.0},
    )
    clue = {"kind": "social", "collectible": key, "label": "s", "max_finds": 2.0}
    _, made = await api.call(
        "POST", f"/v1/hunts/{slug}/clues", 201, headers=api.organiser, json=clue
    )
    assert made["max_finds"] == 2


async def test_integers_in_a_query_are_decimal_digits(api: Api) -> None:
    """A query string is text: an integer parameter is written in ASCII decimal digits, so
    `5.0`, `1_0`, ` 5` or `5e0` is refused (Python would read some of them), and a number
    parameter is a decimal number."""
    hunt = await make_hunt(api)
    path = f"/v1/hunts/{hunt.slug}/leaderboard"
    await api.call("GET", path, 200, params={"limit": "5"})
    await api.call("GET", path, 200, params={"limit": "+05"})
    for bad in ("5.0", "1_0", " 5", "5 ", "5e0", "0x5", "٥", ""):
        _, answer = await api.call("GET", path, 400, params={"limit": bad})
        assert answer["code"] == "invalid_request", bad
    _, me = await api.hunter()
    nearby = f"/v1/hunts/{hunt.slug}/nearby"
    place = {"lat": "40.758", "lon": "-73.9855", "accuracy_m": "10"}
    await api.call("GET", nearby, 200, headers=me, params=place)
    await api.call("GET", nearby, 200, headers=me, params={**place, "accuracy_m": "1e1"})
    for bad in ("4_0.7", " 40.7", "40,7", "nan", "inf", "0x10"):
        _, answer = await api.call("GET", nearby, 400, headers=me, params={**place, "lat": bad})
        assert answer["code"] == "invalid_request", bad


async def test_nearby_requires_what_its_description_requires(
    api: Api, document: dict[str, Any]
) -> None:
    params = query_params(document, "get", "/v1/hunts/{slug}/nearby")
    assert {n for n, p in params.items() if p["required"]} == {"lat", "lon", "accuracy_m"}
    assert params["limit"]["required"] is False
    hunt = await make_hunt(api)
    _, me = await api.hunter()
    place = {"lat": "40.758", "lon": "-73.9855", "accuracy_m": "10"}
    path = f"/v1/hunts/{hunt.slug}/nearby"
    for missing in place:
        given = {k: v for k, v in place.items() if k != missing}
        _, answer = await api.call("GET", path, 400, headers=me, params=given)
        assert answer["code"] == "invalid_request" and missing in answer["detail"], missing
    await api.call("GET", path, 200, headers=me, params=place)


async def test_screen_code_requires_its_clue_as_described(
    api: Api, document: dict[str, Any]
) -> None:
    params = query_params(document, "get", "/screens/{slug}/code")
    assert params["clue"]["required"] is True
    assert params["clue"]["schema"]["type"] == "integer"
    hunt = await make_hunt(api)
    digital = await hunt.clue(kind="digital")
    screen = api.auth(Role.SCREEN, "screen-" + hunt.slug, hunt.slug)
    path = f"/screens/{hunt.slug}/code"
    _, answer = await api.call("GET", path, 400, headers=screen)
    assert answer["code"] == "invalid_request" and "clue" in answer["detail"]
    _, answer = await api.call("GET", path, 200, headers=screen, params={"clue": digital["id"]})
    assert answer["clue_id"] == digital["id"]
    # A token of another hunt is refused first, whatever the query.
    other = api.auth(Role.SCREEN, "screen-other", unique("other"))
    await api.call("GET", path, 403, headers=other)


async def test_an_expired_ar_ticket_is_explained_as_an_ar_ticket(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="ar")
    hunter_id, me = await api.hunter()
    now = int(datetime.now(UTC).timestamp())
    old = ticket_code(api.settings.qr_keyring, clue["id"], hunter_id, now - TICKET_TTL_S - 5)
    body = {"code": old, **at(TIMES_SQUARE)}
    _, answer = await api.call("POST", "/v1/scans", 422, headers=me, json=body)
    assert answer["code"] == "code_expired"
    for text in (answer["title"], answer["detail"]):
        assert "AR ticket" in text and "screen" not in text, text
    # A rotating code that expired is still explained as the screen's.
    digital = await hunt.clue(kind="digital")
    body = {"code": hunt.code(digital, -2), **at(TIMES_SQUARE)}
    _, answer = await api.call("POST", "/v1/scans", 422, headers=me, json=body)
    assert answer["code"] == "code_expired" and "screen" in answer["title"]


async def test_what_each_clue_kind_carries_is_described(api: Api, document: dict[str, Any]) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    schema = described(document, body_schema(document, "post", "/v1/hunts/{slug}/clues"))
    place = {"lat": TIMES_SQUARE[0], "lon": TIMES_SQUARE[1]}
    anchor = {"asset_url": "https://img.example/robot.glb"}
    refused: list[dict[str, Any]] = [
        {"kind": "social", "location": place},
        {"kind": "social", "geofence": {"radius_m": 50}},
        {"kind": "billboard"},
        {"kind": "digital", "location": None},
        {"kind": "billboard", "location": place, "ar": anchor},
        {"kind": "ar", "location": place},
        {"kind": "ar", "ar": anchor},
    ]
    for extra in refused:
        body = {"collectible": key, "label": "x", **extra}
        assert not schema.is_valid(body), extra
        _, answer = await api.call(
            "POST", f"/v1/hunts/{hunt.slug}/clues", 400, headers=api.organiser, json=body
        )
        assert answer["code"] == "invalid_request", extra
    accepted: list[dict[str, Any]] = [
        {"kind": "social"},
        {"kind": "billboard", "location": place, "ar": None},
        {"kind": "ar", "location": place, "ar": anchor},
    ]
    for extra in accepted:
        body = {"collectible": key, "label": "x", **extra}
        assert schema.is_valid(body), extra
        await api.call(
            "POST", f"/v1/hunts/{hunt.slug}/clues", 201, headers=api.organiser, json=body
        )


async def test_an_engraving_needs_a_note_or_a_sketch_as_described(
    api: Api, document: dict[str, Any]
) -> None:
    schema = described(document, body_schema(document, "put", "/v1/me/finds/{id}/engraving"))
    _, me = await api.hunter()
    for body in ({}, {"note": None}, {"note": None, "sketch": None}):
        assert not schema.is_valid(body), body
        _, answer = await api.call("PUT", "/v1/me/finds/1/engraving", 400, headers=me, json=body)
        assert answer["code"] == "invalid_request" and "note" in answer["detail"], body
    assert schema.is_valid({"note": "hi", "sketch": None})


async def test_idempotency_key_is_described_as_checked(api: Api, document: dict[str, Any]) -> None:
    """1 to 200 printable characters: the description had no lower bound, so an empty key,
    refused, was described as valid."""
    op = document["paths"]["/v1/scans"]["post"]
    [header] = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
    validator = described(document, header["schema"])
    assert "isprintable" in header["schema"]["description"]
    hunt = await make_hunt(api)
    _, me = await api.hunter()
    for key in ("", "a\tb", "a\x7fb", "a\x85b", "k" * 201):
        assert not validator.is_valid(key), key
    # (A client library refuses to send C0 controls at all.)
    for key in ("k" * 201, "a\x85b", "a\u2028b"):
        headers = {**me, "Idempotency-Key": key}
        _, answer = await api.call("POST", "/v1/scans", 400, headers=headers, json={"code": "x"})
        assert "Idempotency-Key" in answer["detail"], key
    for key in ("a", "a b", "k" * 200, "~!", "ключ-🗝"):
        assert validator.is_valid(key), key
        clue = await hunt.clue()
        scan = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
        headers = {**me, "Idempotency-Key": key}
        await api.call("POST", "/v1/scans", 201, headers=headers, json=scan)
