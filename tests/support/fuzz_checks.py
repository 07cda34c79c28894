"""The checks the API fuzz test (tests/server/http/test_fuzz_api.py) runs on every answer:
every check schemathesis has, and ours (`problem_json`), each letting pass only the answers
EXCUSED lists for it, with why: refusals of valid data that no OpenAPI description can
state."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi import checks as openapi_checks


@schemathesis.check
def problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is RFC 9457 problem+json with a string `code` and the response's status."""
    if not 400 <= response.status_code < 500:
        return None
    media = response.headers.get("content-type", [""])
    media = media[0] if isinstance(media, list) else media
    assert media.split(";")[0].strip() == "application/problem+json", f"4xx as {media!r}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("code"), str), body
    assert body.get("status") == response.status_code, body
    return True


@dataclass(frozen=True)
class Excused:
    """An answer a check flags that is right all the same, because what decides it is not
    something OpenAPI can describe. `text` is searched in `code: detail` of a problem, or in
    the raw body of any other answer."""

    checks: frozenset[str]
    operation: str  # a regular expression matched against "METHOD /path"
    status: int
    text: str
    why: str


ACCEPTANCE = frozenset({"positive_data_acceptance"})
# Every 422 of POST /v1/scans in the contract's table. code_revoked: the world's clues are
# reissued by the organiser's cases, and the hunter's cases may then send a code from before.
SCAN_VERDICTS = (
    "invalid_code|code_revoked|clock_skew|hunt_not_active|clue_not_active|code_expired"
    "|location_required|low_accuracy|outside_geofence|impossible_travel"
)
BETWEEN = "an order between two fields, or between a field and the stored resource"
GEOMETRY = "a polygon's ring closes and does not cross itself; an ar clue stands in its fence"
# Every answer that a check may flag and this test lets pass, each with why. A schema-valid
# request refused with 401, 403, 404, 409 or 429 is never flagged (no description can say
# which credentials, resources or states exist); these are the other refusals of valid data.
EXCUSED: list[Excused] = [
    Excused(ACCEPTANCE, "POST /v1/hunts", 400, "^invalid_request: ends_at must be after", BETWEEN),
    Excused(ACCEPTANCE, "PATCH /v1/hunts/{slug}", 400, "^invalid_request: ends_at must", BETWEEN),
    Excused(
        ACCEPTANCE,
        "(POST /v1/hunts|PATCH /v1/hunts/{slug})",
        400,
        r"^invalid_request: reveal_radius_m \(.*\) must not exceed hint_radius_m",
        BETWEEN,
    ),
    Excused(
        ACCEPTANCE,
        "(POST /v1/hunts/{slug}/clues|PATCH /v1/clues/{clue_id})",
        400,
        "^invalid_request: active_until must be after active_from",
        BETWEEN,
    ),
    Excused(
        ACCEPTANCE,
        "(POST /v1/hunts/{slug}/clues|PATCH /v1/clues/{clue_id})",
        400,
        "^invalid_geofence: ",
        GEOMETRY,
    ),
    Excused(
        ACCEPTANCE,
        "PATCH /v1/clues/{clue_id}",
        400,
        "^invalid_request: a social clue has no (location|geofence)",
        "the clue's kind is stored, not sent: a body alone cannot tell a social clue's patch",
    ),
    Excused(
        ACCEPTANCE,
        "POST /v1/auth/siwe",
        400,
        "^invalid_request: not an EIP-4361 message",
        "EIP-4361's grammar (an EIP-55 checksummed address, RFC 3986 URIs) is no JSON Schema",
    ),
    Excused(
        ACCEPTANCE,
        "GET /v1/hunts/{slug}/live",
        400,
        "^invalid_request: expected a WebSocket upgrade",
        "a WebSocket endpoint: OpenAPI describes no handshake, and a plain GET is refused",
    ),
    Excused(
        ACCEPTANCE,
        "GET /v1/hunts/{slug}/nearby",
        422,
        "^hunt_not_active: ",
        "whether the hunt runs now is the hunt's state (the contract's 422)",
    ),
    Excused(
        ACCEPTANCE,
        "POST /v1/scans",
        422,
        f"^({SCAN_VERDICTS}): ",
        "a scan's verdict: the code's signature, the clue's state, the hunter's place and"
        " history decide it (the contract's 422)",
    ),
    Excused(
        ACCEPTANCE,
        "PUT /v1/me/finds/{id}/engraving",
        400,
        "^invalid_request: sketch ",
        "a sketch must decode to a bounded PNG or a safe SVG",
    ),
    Excused(
        ACCEPTANCE,
        "POST /v1/hunts/{slug}/moments",
        400,
        r"^invalid_request: (sketch |(title|note) is \d+ characters \(NFC\))",
        "a sketch must decode to a bounded PNG or a safe SVG; a title or note is counted after"
        " NFC normalisation, which a few characters lengthen",
    ),
    Excused(
        frozenset(
            {
                "problem_json",
                "content_type_conformance",
                "positive_data_acceptance",
                "negative_data_rejection",
            }
        ),
        "GET /c/{code}",
        404,
        "This is not a geohunt code",
        "a code's page is the fan app's, HTML: the contract gives anything that is not a code"
        " an HTML 404 page, which a person reads, not a problem",
    ),
    Excused(
        frozenset({"ensure_resource_availability"}),
        "POST /v1/hunts/{slug}/clues",
        404,
        "^not_found: no collectible ",
        "the 404 names the body's collectible, which does not exist, not the hunt just created"
        " (the contract's 404 for an unknown collectible)",
    ),
]


def _answer_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return str(response.text)
    if isinstance(body, dict) and "code" in body:
        return f"{body.get('code')}: {body.get('detail')}"
    return str(response.text)


def excused(check: str, case: Any, response: Any) -> bool:
    return any(
        check in item.checks
        and re.fullmatch(item.operation, case.operation.label)
        and response.status_code == item.status
        and re.search(item.text, _answer_text(response))
        for item in EXCUSED
    )


def but_excused(check: Any) -> Any:
    """`check`, letting pass only the answers EXCUSED lists for it."""

    @functools.wraps(check)
    def run(ctx: Any, response: Any, case: Any) -> bool | None:
        try:
            return check(ctx, response, case)  # type: ignore[no-any-return]
        except (AssertionError, Failure):
            if excused(check.__name__, case, response):
                return None
            raise

    return run


# Every check schemathesis has (test_every_schemathesis_check_is_run keeps it so), and ours.
# Three only find something in particular runs: `use_after_free` needs a DELETE, and the API
# deletes nothing; `ensure_resource_availability` needs workflows (test_workflows_as_organiser);
# `object_level_authorization` replays one identity's GET of an object named in its request as
# its `[auth.wfc]` peers, and a hunter's own objects are read only through `/v1/me...`, which
# names none (what it could name, `/v1/tokens/{token_id}`, is public by design).
ALL_CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.positive_data_acceptance,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.allow_header_conformance,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
    openapi_checks.ignored_auth,
    openapi_checks.object_level_authorization,
    problem_json,
]
EXCUSABLE = {name for item in EXCUSED for name in item.checks}
CHECKS = [but_excused(c) if c.__name__ in EXCUSABLE else c for c in ALL_CHECKS]
