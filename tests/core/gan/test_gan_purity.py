"""The engine is pure: no Django or Celery, and torch stays out of ``gan_imaging.core``."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_import_does_not_load_torch_or_django():
    mods = _modules_after("import gan_imaging.core")
    assert "torch" not in mods and "django" not in mods


def test_gan_engine_imports_no_django_or_celery():
    mods = _modules_after("import gan_imaging.core.gan; import gan_imaging.core.gan.train")
    assert "torch" in mods
    assert not {m for m in mods if m.split(".")[0] in ("django", "celery", "kombu")}
