"""docs/API.md is the contract a client author reads in a fresh clone: its route reference is
the route table, and every operation `/openapi.json` serves is in it, and nothing else."""

from __future__ import annotations

import re

from server.http import api_doc
from server.route_table import ROUTES
from tests.support.api import Api

ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) (\S+) \|", re.MULTILINE)


def test_the_route_reference_is_the_route_table() -> None:
    written = api_doc.section(api_doc.DOC.read_text())
    assert written == api_doc.render(ROUTES), "docs/API.md is out of date: run `make api-doc`"


async def test_every_served_operation_is_documented_and_only_those(api: Api) -> None:
    _, described = await api.call("GET", "/openapi.json", 200)
    served = {
        (method.upper(), path)
        for path, operations in described["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    documented = set(ROW.findall(api_doc.section(api_doc.DOC.read_text())))
    assert documented == served


def test_the_readme_points_to_the_contract_inside_the_repository() -> None:
    readme = (api_doc.DOC.parent.parent / "README.md").read_text()
    assert "docs/API.md" in readme
