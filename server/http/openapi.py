"""OpenAPI 3.1 built from the route table, so the description is exactly what is served."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from server.http.admission import EXEMPT
from server.http.fields import REQUIRED_MARK, Problem
from server.http.routing import PATH_PARAM, Route, path_schema

_REFS = "#/components/schemas/"


def _hoisted(node: Any, defs: dict[str, Any]) -> Any:
    """Move `$defs` found anywhere (e.g. a model's schema pasted into `items`) to the
    components, and point their `#/$defs/X` references there: in OpenAPI 3.1 such a reference
    resolves against the document root, where no `$defs` exists."""
    if isinstance(node, list):
        return [_hoisted(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs" and isinstance(value, dict):
            for name, sub in value.items():
                defs[name] = _hoisted(sub, defs)
        elif key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = _REFS + value.removeprefix("#/$defs/")
        else:
            out[key] = _hoisted(value, defs)
    return out


def _schema(source: type[BaseModel] | dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(source, dict):
        schema: dict[str, Any] = _hoisted(source, defs)
    else:
        schema = _hoisted(source.model_json_schema(ref_template=_REFS + "{model}"), defs)
    if isinstance(source, type) and schema.get("title") == source.__name__:
        defs[source.__name__] = schema
        return {"$ref": _REFS + source.__name__}
    return schema


def _parameters(spec: Route, defs: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in PATH_PARAM.findall(spec.path):
        params.append(
            {"name": name, "in": "path", "required": True, "schema": path_schema(spec, name)}
        )
    for name, declared in spec.params.items():
        if declared["in"] != "path":
            params.append({"name": name, **declared})
    if spec.query is not None:
        query = spec.query.model_json_schema()
        required = set(query.get("required", ()))
        for name, prop in query.get("properties", {}).items():
            # A parameter the handler requires (after the token's hunt) is required all the same.
            later = bool(prop.get(REQUIRED_MARK, False))
            prop = {k: v for k, v in prop.items() if k != REQUIRED_MARK}
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required or later,
                    "schema": _not_null(prop),
                }
            )
    return params


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query string has no null: an optional `X | None` parameter is described as X."""
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return schema
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(options):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**kept[0], **rest}


def error_statuses(spec: Route) -> list[int]:
    """The route's declared errors and those its declaration implies, as routing enforces
    them: a token (401, 403), a body or query (400), a body's size (413), a path (404)."""
    statuses = set(spec.errors)
    if spec.roles:
        statuses |= {401, 403}
    if spec.optional_auth:
        statuses.add(401)
    if spec.body is not None or spec.raw_body is not None or spec.query is not None:
        statuses.add(400)
    if spec.body is not None or spec.raw_body is not None:
        statuses.add(413)
    if PATH_PARAM.search(spec.path):
        statuses.add(404)
    return sorted(statuses)


def _operation(spec: Route, defs: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": spec.handler.__name__,
        "tags": [spec.tag],
        "parameters": _parameters(spec, defs),
        "responses": {},
    }
    if spec.roles:
        op["security"] = [{"bearer": []}]
        op["description"] = "Roles: " + ", ".join(sorted(r.value for r in spec.roles))
    elif spec.optional_auth:
        op["security"] = [{"bearer": []}, {}]
    body = spec.raw_body if spec.raw_body is not None else spec.body
    if body is not None:
        schema = _schema(body, defs)
        body_media = spec.raw_media if spec.raw_body is not None else ("application/json",)
        op["requestBody"] = {
            "required": True,
            "content": {name: {"schema": schema} for name in body_media},
        }
    ok: dict[str, Any] = {"description": "Success"}
    if spec.ok_schema is not None:
        ok["content"] = {spec.ok_media: {"schema": _schema(spec.ok_schema, defs)}}
    elif spec.ok_media != "application/json":
        ok["content"] = {spec.ok_media: {"schema": {"type": "string", "format": "binary"}}}
    for media in spec.alt_media:
        ok.setdefault("content", {})[media] = {"schema": {"type": "string"}}
    op["responses"][str(spec.ok_status)] = ok
    if spec.ok_status == 201 and spec.path == "/v1/scans":
        op["responses"]["200"] = {"description": "Replay of an earlier answer (Idempotency-Key)"}
    for status in error_statuses(spec):
        op["responses"][str(status)] = {"$ref": "#/components/responses/Problem"}
    if spec.path not in EXEMPT:
        # Any route but the probes may be shed under load (overloaded) or meet the database,
        # Redis or the chain away (unavailable): each a 503 with Retry-After to honour.
        op["responses"]["503"] = {"$ref": "#/components/responses/Unavailable"}
    return op


_PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": _REFS + "Problem"}}}


def build(routes: list[Route], version: str = "1.0.0") -> dict[str, Any]:
    defs: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, defs)
    defs["Problem"] = Problem.model_json_schema()
    return {
        "openapi": "3.1.0",
        "info": {"title": "geohunt", "version": version},
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "responses": {
                "Problem": {
                    "description": "An RFC 9457 problem with a stable `code`",
                    "content": _PROBLEM_CONTENT,
                },
                "Unavailable": {
                    "description": "`overloaded` (shed by admission control) or `unavailable`"
                    " (the database away for a moment): try again after Retry-After",
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds to wait before trying again",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": _PROBLEM_CONTENT,
                },
            },
        },
    }
