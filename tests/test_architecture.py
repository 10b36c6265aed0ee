"""docs/architecture.md kept true: every import of every module in crawler/ and spiders/ against its rules table.

Imports are read with ast, those inside functions and under `TYPE_CHECKING` too (a lazy import is still a
dependency). A package may import only the packages its row of the table names; nothing imports tests/ or bench/;
no two modules import each other, directly or round a circle. The table is parsed from the page, so the page
and this test cannot disagree.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
SOURCES = ("crawler", "spiders")
OURS = ("crawler", "spiders", "tests", "bench")


def modules() -> dict[str, Path]:
    """Every module of crawler/ and spiders/ by its dotted name (a package by its own name)."""
    found = {}
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported module of ours, line) for each import in the module, wherever it stands in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from crawler.store import schema` imports the module crawler.store.schema
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target.split(".")[0] in OURS:
                yield target, node.lineno


def package(module: str) -> str:
    """The row of the table a module belongs to: `crawler.store.writer` -> store, `crawler.config` -> config."""
    parts = module.split(".")
    return parts[1] if parts[0] == "crawler" and len(parts) > 1 else parts[0]


def rules() -> dict[str, set[str]]:
    """The table of docs/architecture.md: | `package` | what it holds | may import (`a`, `b`, or nothing) |."""
    table: dict[str, set[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and (first := re.fullmatch(r"`([a-z_]+)/?`", cells[0])):
            table[first.group(1)] = set(re.findall(r"`([a-z_]+)/?`", cells[2]))
    return table


@functools.cache
def graph() -> dict[str, dict[str, int]]:
    known = set(modules())
    return {name: dict(imports(name, path, known)) for name, path in modules().items()}


def circles(edges: dict[str, dict[str, int]]) -> list[frozenset[str]]:
    """Modules that import each other round a circle (strongly connected components of two or more, Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = {stack.pop()}
            while node not in members:
                members.add(stack.pop())
            if len(members) > 1:
                found.append(frozenset(members))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_table_names_every_package_and_allows_no_circle():
    table = rules()
    assert {package(m) for m in modules()} == set(table), "every package of crawler/ and spiders/ has its row"
    assert all(allowed <= set(table) for allowed in table.values()), "rows name only packages of the table"
    assert not circles({name: dict.fromkeys(allowed, 0) for name, allowed in table.items()}), "the table is a tree"
    assert table["model"] <= {"config"} and table["config"] == set() and table["extract"] <= {"model", "config"}
    assert not any("apps" in allowed for name, allowed in table.items() if name != "apps")


def test_every_import_keeps_to_the_rules_of_docs_architecture():
    table, edges = rules(), graph()
    wrong = []
    for name, targets in sorted(edges.items()):
        for target, line in targets.items():
            mine, theirs = package(name), package(target)
            if mine != theirs and theirs not in table[mine]:
                wrong.append(f"{name} (line {line}) imports {target}: {mine} may import {sorted(table[mine])}")
    assert not wrong, "imports against docs/architecture.md:\n" + "\n".join(wrong)


def test_no_module_imports_itself_round_a_circle():
    found = circles(graph())
    assert not [sorted(c) for c in found], "import circles"


def test_the_scan_sees_lazy_and_relative_imports(tmp_path: Path):
    module = tmp_path / "pkg" / "mod.py"
    module.parent.mkdir()
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n    from crawler.apps import cli\n"
        "def f():\n    import tests.support.localsite\n    from crawler.store import schema\n"
    )
    found = dict(imports("crawler.pkg.mod", module, {"crawler.pkg.sibling", "crawler.store.schema"}))
    assert found == {
        "crawler.pkg.sibling": 2,
        "crawler.apps": 4,
        "tests.support.localsite": 6,
        "crawler.store.schema": 7,
    }
    assert circles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [frozenset("abc")]


def test_the_slow_marks_of_conftest_name_modules_tests_and_fixtures_that_exist():
    """A renamed slow test would silently join `make check`: every name tests/conftest.py marks slow exists."""
    from tests.conftest import SLOW_FIXTURES, SLOW_MODULES, SLOW_TESTS

    defined: dict[str, set[str]] = {}
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined[path.stem] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    assert not set(SLOW_MODULES) - set(defined), "slow modules that do not exist"
    missing = [name for name in SLOW_TESTS if name.split("::")[1] not in defined.get(name.split("::")[0], set())]
    assert not missing, f"slow tests that do not exist: {missing}"
    assert all(any(fixture in names for names in defined.values()) for fixture in SLOW_FIXTURES)
