"""The engine stands alone: it never imports, or names, the course package built on it."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "nbgrader_sandbox"
SOURCES = sorted(ENGINE.glob("*.py"))
# Every submodule (autograde/parallel, cli, config, coursedir, execute, intake, kernels, launcher, repair,
# review, sandbox, cgroup, zygote, ...) but __main__, which runs the command line when imported.
SUBMODULES = [path.stem for path in SOURCES if path.stem not in ("__init__", "__main__")]


def imported_modules(path):
    """Every module name an import statement of `path` names, relative ones as written (".x")."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return names


def test_engine_sources_found():
    assert {"cgroup", "cli", "config", "execute", "launcher", "repair", "sandbox"} <= set(SUBMODULES)
    assert (ENGINE / "__init__.py") in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_import_of_the_course(path):
    assert [name for name in imported_modules(path) if "transformer_course" in name] == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_course_never_named(path):
    assert "transformer" not in path.read_text()


def test_importing_every_module_loads_no_course_module(tmp_path):
    modules = ["nbgrader_sandbox", *(f"nbgrader_sandbox.{name}" for name in SUBMODULES)]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'transformer_course'))\n"
            "print(sys.modules['nbgrader_sandbox'].__file__)\n")
    # This engine folder first on the path, so its modules are the ones imported, installed or not.
    path = [str(ENGINE.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    loaded, engine = run.stdout.splitlines()[-2:]
    assert loaded == "[]"
    assert Path(engine).resolve() == ENGINE / "__init__.py"
