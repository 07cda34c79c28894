"""The route reference in `docs/API.md`, written from the route table so that it cannot drift:
`make api-doc` (server/route_table.py) rewrites the part between the markers, and a test
compares it with the table and with the served `/openapi.json`."""

from __future__ import annotations

from pathlib import Path

from server.http.routing import Route

DOC = Path(__file__).resolve().parents[2] / "docs" / "API.md"
BEGIN = "<!-- routes: written by `make api-doc` from the route table; never edit by hand -->"
END = "<!-- /routes -->"


def _who(spec: Route) -> str:
    if not spec.roles:
        return "anyone (a token is optional)" if spec.optional_auth else "anyone"
    who = ", ".join(sorted(role.value for role in spec.roles))
    return who + (" (`?token=` accepted)" if spec.query_token else "")


def render(routes: list[Route]) -> str:
    lines = ["| method, path | who | what |", "|---|---|---|"]
    for spec in routes:
        summary = " ".join(spec.summary.split()).replace("|", "\\|")
        lines.append(f"| {spec.method} {spec.path} | {_who(spec)} | {summary} |")
    return "\n".join(lines)


def refreshed(text: str, routes: list[Route]) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{render(routes)}\n{END}{tail}"


def section(text: str) -> str:
    """What stands between the markers now."""
    return text.partition(BEGIN)[2].partition(END)[0].strip("\n")
