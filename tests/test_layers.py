"""The layers hold: the core is pure, excel/ and workspace/ import only the core, the
intake only the core and excel/, nothing imports the CLI. The contracts themselves are in
pyproject.toml ([tool.importlinter])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 kept, 0 broken" in run.stdout


def test_every_package_is_in_a_contract() -> None:
    """A new top-level package must be placed in the layers, not slip past them."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = {p.name for p in (ROOT / "ipt_excel").iterdir() if (p / "__init__.py").exists()}
    assert packages == {"core", "excel", "intake", "workspace", "services"}
    for name in packages:
        assert f'"ipt_excel.{name}"' in text


def test_every_exception_lives_in_errors_py() -> None:
    """One place to see every error the library raises (and the CLI maps to exit codes)."""
    import ast

    outside = []
    for path in sorted((ROOT / "ipt_excel").rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if any(b.endswith(("Error", "Exception")) for b in bases):
                    outside.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert outside == []
