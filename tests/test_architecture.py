"""The package arrows of docs/architecture.md hold: every import goes down the layers, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# lowest first; a package may import its own layer and those below it
LAYERS = ["base", "index", "ingest", "app", "integrations", "evals", "top"]
FOLDERS = {"index": "index", "ingest": "ingest", "app": "app", "integrations": "integrations", "evals": "evals"}
TOP_MODULES = {"citewise.cli", "citewise"}  # the root CLI, and the package face (lazy imports only)


def layer_of_module(module: str) -> str:
    if module in TOP_MODULES:
        return "top"
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "citewise" and parts[1] in FOLDERS:
        return parts[1]
    return "base"


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("citewise"):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("citewise")]
    return found


def source_files() -> list[tuple[Path, str]]:
    files = [(p, folder) for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")]
    for p in (ROOT / "citewise").glob("*.py"):
        module = "citewise" if p.name == "__init__.py" else f"citewise.{p.stem}"
        files.append((p, layer_of_module(module)))
    return files


def test_imports_only_go_down_the_layers() -> None:
    upward = []
    for path, layer in source_files():
        for line, module in imports_of(path):
            target = layer_of_module(module)
            if LAYERS.index(target) > LAYERS.index(layer):
                upward.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {module} ({target})")
    assert not upward, "imports going back up:\n" + "\n".join(upward)
