"""The import rules of ARCHITECTURE.md §7 hold, and breaking one fails the build.

The contracts live in pyproject.toml ``[tool.importlinter]`` and run as ``lint-imports`` in ``make lint``
and ``.ci/run``. import-linter sees modules, not names, so the rule on ``_private`` names is checked
here over the source.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "permitcard"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and its contracts, to break on purpose."""
    root = tmp_path_factory.mktemp("arch")
    shutil.copytree(SRC, root / "src" / "permitcard", ignore=shutil.ignore_patterns("__pycache__", "locale"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("cards/service/apply.py", "from permitcard.insurance import repository as _reach_in",
     "Contexts use each other only through"),
    ("shared/audit.py", "from permitcard.auth import service as _upward", "Layers:"),
    ("permits/repository.py", "from permitcard.permits import service as _cycle", "No import cycles"),
])
def test_a_new_violation_fails_lint_imports(tree_copy: Path, module: str, line: str, contract: str) -> None:
    path = tree_copy / "src" / "permitcard" / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # noqa\n")
    try:
        result = _lint_imports(tree_copy / "src", tree_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


def _private_imports(source: str, module: str) -> list[str]:
    """``from permitcard.x import _name`` and ``x._name`` on an imported permitcard module (``_`` is gettext)."""
    tree = ast.parse(source)
    imported_modules: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("permitcard"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__") and alias.name != "_":  # gettext
                    found.append(f"{module}:{node.lineno} imports {node.module}.{alias.name}")
                elif ((SRC.parent / node.module.replace(".", "/") / f"{alias.name}.py").exists()
                      or (SRC.parent / node.module.replace(".", "/") / alias.name / "__init__.py").exists()):
                    imported_modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            found.append(f"{module}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        found += _private_imports(path.read_text(), module)
    assert found == []


def test_the_private_name_check_sees_both_forms() -> None:
    source = "from permitcard.cards import service\nfrom permitcard.cards.service import _produce\nservice._move_card\n"
    assert len(_private_imports(source, "permitcard.x")) == 2
