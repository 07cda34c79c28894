"""SQL you can find: every statement the server and chain/ run is written out whole, as a named
constant in a `queries.py` beside the code that runs it (server/<feature>/queries.py,
server/common/queries.py, server/bootstrap/queries.py, chain/queries.py).

Read from the source's syntax trees, without importing anything: a string literal that begins
like SQL (a statement, or a piece of one such as " WHERE id = $1") anywhere else fails, and so
does SQL built with `+` or an f-string, in a queries module or out of it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "chain")
QUERIES = "queries.py"

# Upper case, as every statement here is written: prose ("Create...", "With...") never matches.
STATEMENT = re.compile(r"\s*(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH)\b")
PIECE = re.compile(
    r"\s*(FROM|WHERE|(LEFT\s+|CROSS\s+)?JOIN|ORDER\s+BY|GROUP\s+BY|RETURNING|VALUES"
    r"|ON\s+CONFLICT|FOR\s+UPDATE|LIMIT|UNION)\b"
)
SQL_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_SQL$")


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants of the module, its classes and its functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _is_sql_name(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return isinstance(name, str) and SQL_NAME.match(name) is not None


def sql_outside_queries(source: str, label: str) -> list[str]:
    """SQL literals (whole or in pieces) in a module that is not a queries module, and SQL
    constants glued to something with `+` or spliced into an f-string."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{label}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and (
                STATEMENT.match(node.value) or PIECE.match(node.value)
            ):
                found.append(f"{where}: SQL literal {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.BinOp) and (_is_sql_name(node.left) or _is_sql_name(node.right)):
            found.append(f"{where}: an _SQL constant glued with an operator")
        elif isinstance(node, ast.FormattedValue) and _is_sql_name(node.value):
            found.append(f"{where}: an _SQL constant spliced into an f-string")
    return found


def not_plain_statements(source: str, label: str) -> list[str]:
    """What in a queries module is not `NAME_SQL = "<one whole statement>"` (its docstring
    and comments aside)."""
    found = []
    for index, node in enumerate(ast.parse(source).body):
        where = f"{label}:{node.lineno}"
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module's docstring
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            found.append(f"{where}: not one plain assignment ({type(node).__name__})")
            continue
        target, value = node.targets[0], node.value
        name = ast.unparse(target)
        if not (isinstance(target, ast.Name) and SQL_NAME.match(target.id)):
            found.append(f"{where}: {name} is not an UPPER_SNAKE name ending in _SQL")
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            found.append(f"{where}: {name} is built, not written out as one string")
        elif not STATEMENT.match(value.value):
            found.append(f"{where}: {name} is not a whole statement")
    return found


def problems(path: Path) -> list[str]:
    check = not_plain_statements if path.name == QUERIES else sql_outside_queries
    return check(path.read_text(), _relative(path))


def _in_place() -> list[object]:
    return [
        pytest.param(path, id=_relative(path))
        for package in PACKAGES
        for path in _modules(ROOT / package)
    ]


@pytest.mark.parametrize("path", _in_place())
def test_sql_is_whole_and_in_its_queries_module(path: Path) -> None:
    assert problems(path) == []


@pytest.mark.parametrize(
    "feature",
    [
        "chain",
        "server/ar",
        "server/art",
        "server/bootstrap",
        "server/clues",
        "server/codes",
        "server/common",
        "server/fans",
        "server/hunts",
        "server/identity",
        "server/live",
        "server/moments",
        "server/ops",
        "server/ratings",
        "server/scans",
        "server/screens",
    ],
)
def test_each_part_that_runs_sql_has_its_queries_module(feature: str) -> None:
    assert (ROOT / feature / QUERIES).is_file()


# The checks themselves, on small sources: what they must catch, and prose they must not.
@pytest.mark.parametrize(
    "source, caught",
    [
        ('row = fetch(X_SQL + " WHERE id = $1", 1)', 2),  # the glue and the piece
        ('cols = "a, b"\nrow = fetch(f"SELECT {cols} FROM t")', 2),  # "SELECT ", " FROM t"
        ('row = fetch(f"{X_SQL} ORDER BY id")', 2),
        ('sql = {"hunts": (HUNTS_SQL, put)}[table]\nrows = fetch(sql + " WHERE a")', 1),
        ('rows = fetch("SELECT id FROM hunts")', 1),
        ("rows = fetch(HUNTS_SQL, 1)", 0),
        ('"""Create the demo. SELECT is a word here."""\nx = "With a view"\ny = "from a to b"', 0),
    ],
)
def test_the_outside_check(source: str, caught: int) -> None:
    assert len(sql_outside_queries(source, "probe.py")) == caught


@pytest.mark.parametrize(
    "source, caught",
    [
        ('"""Doc."""\n# What it does.\nA_SQL = """\nSELECT 1\n"""', 0),
        ('A_SQL = "SELECT a FROM t" " WHERE id = $1"', 0),  # one literal, written out
        ('COLS = "a, b"', 2),  # a fragment, and not named _SQL
        ('A_SQL = "SELECT a FROM t"\nB_SQL = A_SQL + " WHERE id = $1"', 1),
        ('C = "a"\nA_SQL = f"SELECT {C} FROM t"', 3),  # C twice, then A_SQL
        ('lower_sql = "SELECT 1"', 1),
        ("def f() -> None: ...", 1),
        ("import os", 1),
    ],
)
def test_the_queries_module_check(source: str, caught: int) -> None:
    assert len(not_plain_statements(source, "queries.py")) == caught
