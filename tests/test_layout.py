"""The layout of tests/: a test module sits where its subject lives, so that the test of a module
is found by name (tests of `server/scans/` in `tests/server/scans/`, of `infra/` in
`tests/infra/`); what tests share is in tests/support/ or a conftest.py and is written once; and
no test module imports another one.

Read from the files and their syntax trees, without importing anything.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
SUPPORT = TESTS / "support"

# Test modules whose subject is the repository as a whole: they stay at the top of tests/.
REPO_WIDE = {"test_layout.py", "test_compose_file.py", "test_sql_placement.py"}

# The helpers every test shares, each defined once, in its support module.
SHARED = {
    "RUN": "api",
    "TEST_SECRET": "api",
    "unique": "api",
    "bearer": "api",
    "Api": "api",
    "siwe": "identity",
    "siwe_message": "identity",
    "sign": "identity",
    "nonce": "identity",
    "migrated_database": "database",
    "Hunt": "builders",
    "make_hunt": "builders",
    "iso": "builders",
    "at": "builders",
    "square_polygon": "builders",
    "post_scan": "builders",
    "delivered": "builders",
    "SseReader": "builders",
    "ws_until": "builders",
    "GEOHUNT": "processes",
    "run_geohunt": "processes",
    "RedisServer": "processes",
    "forge": "codes",
    "RING": "codes",
    "chain_settings": "minting",
    "worker_task": "minting",
    "wait_until": "minting",
    "WorkerProcess": "minting",
}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def modules_of_tests() -> list[Path]:
    return [p for p in python_files() if p.name.startswith("test_")]


def folders_of_tests() -> list[Path]:
    return sorted(
        p for p in TESTS.rglob("*") if p.is_dir() and p.name != "__pycache__" and p != TESTS
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved; for `from package import name`,
    `package.name` too (the name may be a module)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def is_test_module(module: str) -> bool:
    """A module of this suite's tests (a library's own `test_utils` is not one)."""
    parts = module.split(".")
    return parts[0] == "tests" and any(
        part.startswith("test_") or part == "conftest" for part in parts
    )


def top_level_names(path: Path) -> dict[str, ast.AST]:
    names: dict[str, ast.AST] = {}
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def is_fixture(node: ast.AST) -> bool:
    decorators = getattr(node, "decorator_list", [])
    return any("fixture" in ast.unparse(d) for d in decorators)


def fixtures_in(path: Path) -> set[str]:
    return {name for name, node in top_level_names(path).items() if is_fixture(node)}


def shared_files() -> list[Path]:
    """Where shared fixtures and helpers live: conftest.py files and tests/support/."""
    return [p for p in python_files() if p.name == "conftest.py" or SUPPORT in p.parents]


def test_every_test_folder_is_a_package() -> None:
    missing = [rel(d) for d in folders_of_tests() if not (d / "__init__.py").is_file()]
    assert not missing, f"tests import as packages (tests.support...); add __init__.py: {missing}"


def test_every_test_folder_mirrors_a_source_package() -> None:
    """tests/server/scans/ holds the tests of server/scans/, and so on: a folder under tests/
    (but tests/support/) is named as a package of the source."""
    strays = []
    for folder in folders_of_tests():
        if folder == SUPPORT or SUPPORT in folder.parents:
            continue
        source = ROOT / folder.relative_to(TESTS)
        if not (source / "__init__.py").is_file():
            strays.append(rel(folder))
    assert not strays, f"no source package of that name: {strays}"


def test_only_repository_wide_tests_sit_at_the_top() -> None:
    top = {p.name for p in TESTS.glob("test_*.py")}
    strays = sorted(top - REPO_WIDE)
    assert not strays, (
        f"move these beside their subject (tests/<package>/...), or name them here as tests of"
        f" the whole repository: {strays}"
    )


def test_support_holds_no_tests() -> None:
    for path in SUPPORT.rglob("*.py"):
        assert not path.name.startswith("test_"), rel(path)
        tests = [n for n in top_level_names(path) if n.startswith("test_")]
        assert not tests, (rel(path), tests)


@pytest.mark.parametrize("path", python_files(), ids=rel)
def test_no_module_imports_a_test_module(path: Path) -> None:
    """Fixtures come from a conftest.py (or a support module it registers) and helpers from
    tests/support/; importing a test module (or a conftest) would share its tests and its
    fixtures with the importer."""
    wrong = sorted(module for module in imported_modules(path) if is_test_module(module))
    assert not wrong, f"{rel(path)} imports {wrong}: move what it needs to tests/support/"


def test_shared_helpers_are_defined_once_in_their_support_module() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in python_files():
        for name in top_level_names(path):
            if name in SHARED:
                where[name].append(rel(path))
    expected = {name: [f"tests/support/{module}.py"] for name, module in SHARED.items()}
    assert dict(where) == expected


def test_fixtures_are_defined_once() -> None:
    """A fixture shared through a conftest.py or tests/support/ is defined there only: a test
    module does not define its own copy (or shadow it), and no two shared places define it."""
    shared: dict[str, list[str]] = defaultdict(list)
    for path in shared_files():
        for name in fixtures_in(path):
            shared[name].append(rel(path))
    twice = {name: paths for name, paths in shared.items() if len(paths) > 1}
    assert not twice
    copies = {
        rel(path): sorted(fixtures_in(path) & set(shared))
        for path in modules_of_tests()
        if fixtures_in(path) & set(shared)
    }
    assert not copies, f"these test modules define a shared fixture again: {copies}"


def test_support_helpers_are_not_copied_into_test_modules() -> None:
    """A public function or class of tests/support/ is not defined again in a test module."""
    helpers: set[str] = set()
    for path in SUPPORT.rglob("*.py"):
        helpers |= {
            name
            for name, node in top_level_names(path).items()
            if not name.startswith("_")
            and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and not is_fixture(node)
        }
    copies = {
        rel(path): sorted(
            name
            for name, node in top_level_names(path).items()
            if name in helpers
            and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        )
        for path in modules_of_tests()
    }
    copies = {path: names for path, names in copies.items() if names}
    assert not copies, f"import these from tests/support/ instead: {copies}"


def test_a_fresh_migrated_database_is_made_in_one_place() -> None:
    """Databases are created and migrated by tests/support/database.py (the session's shared one
    and each test's `own_database`); only the tests of the migrations themselves make bare,
    empty databases."""
    makers = {
        rel(path)
        for path in python_files()
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "create_database"
    }
    assert makers <= {"tests/support/database.py", "tests/infra/test_migrations.py"}, makers
