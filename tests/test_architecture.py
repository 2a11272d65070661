"""The import graph: data flows index/ -> qa/ -> api/, the question path never reaches into training or the
command line, list answers never reach back into the pipeline, and no module imports itself in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "qa", "api")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules `name` imports anywhere in its file (top level, in functions, under TYPE_CHECKING)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {m: _imports(m, p, known) for m, p in mods.items()}


def _layer(module: str) -> int:
    return PACKAGES.index(module.split(".")[0])


def test_no_module_imports_one_from_a_folder_to_its_right():
    bad = [(m, t) for m, ts in _graph().items() for t in ts if _layer(t) > _layer(m)]
    assert not bad, f"upward imports: {bad}"


def _is_core(m: str) -> bool:
    return m.startswith("qa.") and not m.startswith(("qa.offline", "qa.cli", "qa.lists"))


def test_the_question_path_stays_out_of_training_and_the_command_line():
    g = _graph()
    bad = [
        (m, t)
        for m, ts in g.items()
        if _is_core(m) or m.startswith("qa.lists") or m.startswith("api")
        for t in ts
        if t.startswith(("qa.offline", "qa.cli"))
    ]
    assert not bad, bad
    assert not [(m, t) for m, ts in g.items() if m.startswith("qa.lists") for t in ts if t == "qa.pipeline"]


def test_no_import_circles():
    g = _graph()
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(g.get(m, ())):
            if t.startswith(m + ".") or m.startswith(t + "."):
                continue  # a package and its own modules
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t) :] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)
    assert not cycles, f"import circles: {cycles}"


def test_the_graph_is_really_walked():
    g = _graph()
    assert "qa.lists.answerer" in g["qa.pipeline"]
    assert "qa.pipeline" in g["api.app"]
    assert "index.store" in g["qa.retriever"]
