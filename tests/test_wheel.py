"""The wheel holds only what a user runs: the `crawler` and `spiders` packages, whole, and no local site, test
or bench code; every module in it imports from the unpacked wheel alone, with no checkout on the path.

Built offline from a copy of the checkout (`pip wheel --no-deps --no-build-isolation --no-index`), so that no
`build/` directory of an earlier build can leak stale files in and the checkout is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.crawling import PROJECT

pytestmark = pytest.mark.slow

LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", ".node", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "results"
)
"""What the copy of the checkout leaves out: environments, caches and earlier builds, none of it source."""
NOT_FOR_USERS = {"tests", "bench", "localsite", "conftest.py", "fixtures"}

IMPORT_ALL = """
import importlib, json, sys
wheel = sys.argv[1]
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in type(f).__module__]
names = json.loads(sys.argv[2])
for name in names:
    module = importlib.import_module(name)
    assert module.__file__.startswith(wheel), f"{name} imported from {module.__file__}, not the wheel"
import crawler.apps.cli
assert callable(crawler.apps.cli.main)
found = [n for n in ("tests", "bench") if importlib.util.find_spec(n) is not None]
assert not found, f"importable without a checkout: {found}"
print(len(names))
"""
"""Run outside the checkout: each module from the wheel (an editable install's finder set aside), the console
script's target, and neither `tests` nor `bench` importable."""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(PROJECT, source, ignore=LEFT_OUT, symlinks=True)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    done = subprocess.run([*command, "-w", str(tmp / "dist"), str(source)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = (tmp / "dist").glob("newsmon-*.whl")
    return built


def python_modules(names: list[str]) -> list[str]:
    return sorted(n.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for n in names if n.endswith(".py"))


def test_the_wheel_holds_the_package_whole_and_nothing_for_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"crawler", "spiders", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    shipped = [n for n in names if any(part in NOT_FOR_USERS for part in n.split("/"))]
    assert shipped == []
    in_checkout = sorted(
        str(p.relative_to(PROJECT))
        for top in ("crawler", "spiders")
        for p in (PROJECT / top).rglob("*.py")
        if "__pycache__" not in p.parts
    )
    assert sorted(n for n in names if n.endswith(".py")) == in_checkout


def test_every_module_of_the_wheel_imports_without_a_checkout(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    modules = python_modules(zipfile.ZipFile(wheel).namelist())
    assert {"crawler", "crawler.settings", "crawler.apps.cli", "spiders"} <= set(modules)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(unpacked), json.dumps(modules)],
        cwd=elsewhere,
        env={**env, "PYTHONPATH": str(unpacked)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == str(len(modules))
