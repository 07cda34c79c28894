"""The served /openapi.json is valid OpenAPI 3.1 and describes exactly what the app serves."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from server import openapi, routes
from server.routing import ROUTES
from tests.builders import TIMES_SQUARE, make_hunt
from tests.conftest import Api

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
                if int(status) >= 400:
                    assert answer == {"$ref": "#/components/responses/Problem"}, (path, status)


def test_every_route_is_described_as_declared(document: dict[str, Any]) -> None:
    routes.load_all()
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
    routes.load_all()
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
    Fails until `server/routes/clues.py` `patch_clue` declares `errors=(..., 409)`."""
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
