"""Who may import the test support: tests and bench share `tests.support` instead of importing each other, the
installed package imports neither, and the support modules import each other one way (no circle).

Read from the source with `ast` (every import, inside functions and `TYPE_CHECKING` blocks too), nothing imported.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawling import PROJECT


def modules(folder: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under `folder` of the checkout."""
    found = {}
    for path in sorted((PROJECT / folder).rglob("*.py")):
        parts = path.relative_to(PROJECT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, name: str) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names taken from it) of every import in the file, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = f"{package.rsplit('.', node.level - 1)[0]}.{base}".rstrip(".")
            yield node.lineno, base, tuple(alias.name for alias in node.names)


def under(name: str, top: str) -> bool:
    return name == top or name.startswith(top + ".")


def offending(folders: tuple[str, ...], forbidden: tuple[str, ...], allowed: str | None = None) -> list[str]:
    """Imports of `forbidden` packages (but `allowed`) in the modules of `folders`."""
    found = []
    for folder in folders:
        for name, path in modules(folder).items():
            for line, target, _ in imports(path, name):
                if any(under(target, top) for top in forbidden) and not (allowed and under(target, allowed)):
                    found.append(f"{path.relative_to(PROJECT)}:{line} imports {target}")
    return found


def test_tests_do_not_import_bench() -> None:
    assert offending(("tests",), ("bench",)) == []


def test_bench_imports_only_the_shared_support_of_tests() -> None:
    assert offending(("bench",), ("tests",), allowed="tests.support") == []
    assert offending(("bench",), ("tests",)), "bench uses tests.support (else this test checks nothing)"


def test_the_installed_package_imports_no_test_support_and_no_bench() -> None:
    assert offending(("crawler", "spiders"), ("tests", "bench")) == []


def test_the_support_modules_import_each_other_one_way() -> None:
    support = modules("tests/support")
    graph: dict[str, set[str]] = {name: set() for name in support}
    for name, path in support.items():
        for _, module, names in imports(path, name):
            # `from package import module` depends on that module; `from package import name` on the package
            submodules = {f"{module}.{n}" for n in names if f"{module}.{n}" in support}
            graph[name] |= submodules if names and len(submodules) == len(names) else {module, *submodules}
    graph = {name: (targets & support.keys()) - {name} for name, targets in graph.items()}
    assert "tests.support.localsite.site" in graph["tests.support.localsite"]
    circles = []
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            circles.append(" -> ".join([*trail[trail.index(name) :], name]))
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert circles == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "script", sorted(p.name for p in (PROJECT / "bench").glob("*.py") if "__main__" in p.read_text())
)
def test_every_bench_script_starts_as_its_docs_run_it(script: str, tmp_path: Path):
    """`python bench/<name>.py` from anywhere: its imports of the checkout (tests.support, bench) resolve."""
    done = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / script), "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
