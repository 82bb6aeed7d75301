"""The app's layers, read from the source (every import, also inside functions):

field, admin, views, tasks, commands  →  jobs (the service layer)  →  models, core

Nothing below calls back up; the job service's own modules import each other without cycles;
core imports nothing of the Django side. docs/architecture.md describes the same layering.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "gan_imaging"
UPPER = ("gan_imaging.fields", "gan_imaging.admin", "gan_imaging.views", "gan_imaging.urls",
         "gan_imaging.tasks", "gan_imaging.templatetags", "gan_imaging.management",
         "gan_imaging.inference", "gan_imaging.uploads", "gan_imaging.checks",
         "gan_imaging.tryon_views")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every gan_imaging module ``path`` imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name.startswith("gan_imaging")}


def modules(folder: str) -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted((APP / folder).rglob("*.py"))}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("layer", ["jobs", "models", "core"])
def test_lower_layers_never_import_the_upper_ones(layer):
    offending = {mod: sorted(n for n in names if any(within(n, u) for u in UPPER))
                 for mod, names in modules(layer).items()}
    assert {m: n for m, n in offending.items() if n} == {}


def test_models_do_not_use_the_job_service_and_core_stays_in_core():
    assert {m: sorted(n for n in names if within(n, "gan_imaging.jobs"))
            for m, names in modules("models").items()
            if any(within(n, "gan_imaging.jobs") for n in names)} == {}
    def outside(name: str) -> bool:  # the package itself holds only __version__
        return name != "gan_imaging" and not within(name, "gan_imaging.core")

    assert {m: sorted(filter(outside, names)) for m, names in modules("core").items()
            if any(map(outside, names))} == {}


def test_the_job_service_modules_import_each_other_without_cycles():
    graph = {mod: {n.rsplit(".", 1)[0] if n.rsplit(".", 1)[0] in modules("jobs") else n
                   for n in names if within(n, "gan_imaging.jobs")} - {mod, "gan_imaging.jobs"}
             for mod, names in modules("jobs").items() if mod != "gan_imaging.jobs"}
    graph = {m: {n for n in deps if n in graph} for m, deps in graph.items()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(mod: str) -> None:
        assert mod not in visiting, "import cycle: " + " → ".join([*visiting, mod])
        if mod in done:
            return
        visiting.append(mod)
        for dep in sorted(graph[mod]):
            visit(dep)
        visiting.pop()
        done.add(mod)

    for mod in graph:
        visit(mod)
    assert len(graph) >= 10


def test_the_field_reaches_the_job_service_through_its_entry_points_only():
    used = {n for n in imports(APP / "fields.py") if within(n, "gan_imaging.jobs")}
    modules_used = {n if n in modules("jobs") else n.rsplit(".", 1)[0] for n in used}
    assert modules_used <= {"gan_imaging.jobs.sources", "gan_imaging.jobs.lifecycle",
                            "gan_imaging.jobs.common"}, sorted(modules_used)
