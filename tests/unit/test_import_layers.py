"""Layers import downward only: simulation -> stores -> resources -> defs -> definitions -> the commands.

Read from the source (every `import`, deferred ones included), so a cycle hidden in a function body fails too.
A package may import its own layer or any layer below it, never one above.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "shopease_platform"

LAYERS = [
    {"window", "settings", "prefetch", "childproc"},  # foundations: no project imports but these
    {"simulation"},  # pure
    {"mongo_store", "s3_store", "etl", "services", "delivery", "checks"},  # stores and their servers
    {"resources"},
    {"assets", "orchestration"},  # the Dagster definitions per stage
    {"definitions"},
    {"console", "demo", "cli"},  # the commands
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def imports_between_packages() -> dict[tuple[str, str], set[str]]:
    """(importing package, imported package) -> the files where that happens."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        source = relative.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "shopease_platform" and len(parts) > 1 and parts[1] != source:
                    found[(source, parts[1])].add(str(relative))
    return found


def test_every_package_has_a_layer() -> None:
    packages = {
        p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()
    }
    assert packages - {"__init__"} == set(RANK)


def test_layers_import_downward_only() -> None:
    upward = sorted(
        f"{source} imports {target} ({', '.join(sorted(files))})"
        for (source, target), files in imports_between_packages().items()
        if RANK[target] > RANK[source]
    )
    assert upward == []


def test_orchestration_does_not_reach_back_into_the_assets() -> None:
    assert ("orchestration", "assets") not in imports_between_packages()
