"""gan_imaging.core is pure: no module of it imports Django or Celery, at import time or later."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import gan_imaging.core

FORBIDDEN = ("django", "celery", "kombu")
CORE_DIR = Path(gan_imaging.core.__file__).parent

# Runs in a fresh interpreter: walks every module and subpackage of gan_imaging.core (walking
# imports the packages; each module is then imported in turn) and records, per module, the
# forbidden top-level packages that appeared in sys.modules once it was imported.
_WALK = """
import importlib, json, pkgutil, sys
import gan_imaging.core as core

FORBIDDEN = set(json.loads(sys.argv[1]))

def bad():
    return sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)

def fail(name):
    raise SystemExit(f"walking gan_imaging.core: cannot import {name}")

found = {"gan_imaging.core": bad()}
names = [m.name for m in pkgutil.walk_packages(core.__path__, "gan_imaging.core.", onerror=fail)]
for name in names:
    importlib.import_module(name)
    found.setdefault(name, bad())
print(json.dumps(found))
"""


def _walk_core() -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _WALK, json.dumps(FORBIDDEN)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_core_module_imports_without_django_or_celery():
    found = _walk_core()
    assert len(found) >= 40, f"the walk found only {sorted(found)}"
    assert {"gan_imaging.core.testing", "gan_imaging.core.gan.train",
            "gan_imaging.core.gan.nets.sr", "gan_imaging.core.pipelines"} <= set(found)
    culprits = {name: mods for name, mods in found.items() if mods}
    first = min(culprits, key=list(found).index) if culprits else None
    assert not culprits, f"importing {first} loads {culprits[first]}"


def _forbidden_imports(path: Path) -> list[str]:
    """``file:line: statement`` for each import of a forbidden package, at any depth."""
    hits = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots = [node.module.split(".")[0]]
        else:
            continue
        if set(roots) & set(FORBIDDEN):
            hits.append(f"{path.relative_to(CORE_DIR.parent)}:{node.lineno}: {ast.unparse(node)}")
    return hits


def test_no_core_source_imports_django_or_celery_even_lazily():
    sources = sorted(CORE_DIR.rglob("*.py"))
    assert len(sources) >= 40
    hits = [hit for path in sources for hit in _forbidden_imports(path)]
    assert not hits, "core imports Django/Celery:\n" + "\n".join(hits)


def test_thumbnail_core_does_not_load_torch():
    # CPU thumbnail workers should not pay for importing torch.
    code = (
        "import sys\nimport gan_imaging.core.pipelines\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
