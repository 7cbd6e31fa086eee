"""The folders tell the story of a run, and no module reaches up.

claim files (author API: claim, ratekinds, metrics, models) -> engine (discover, seed, sweep,
execute, store) -> stats (fit, verdicts) -> report (HTML and machine outputs) -> commands (CLI,
calibrate, scaffold, pytest plugin) -> testing (the public conformance API for a lab's own pytest
suite, on top of the commands' checks). A module imports only from its own layer or a lower one,
so reading bottom-up never needs a forward reference, and the import graph has no cycles.
"""
import ast
from pathlib import Path

import claimcheck

PACKAGE = Path(claimcheck.__file__).parent
LAYERS = {"api": 0, "engine": 1, "stats": 2, "artefacts": 2, "report": 3, "commands": 4, "testing": 5}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("engine", "stats", "report", "commands", "artefacts", "testing"):
        return parts[1]
    return "api"


def _imports(path: Path) -> set[str]:
    """claimcheck modules imported anywhere in ``path`` (relative imports resolved)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("claimcheck")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("claimcheck"):
                continue
            for a in node.names:   # `from pkg import module` names the module itself
                sub = f"{target}.{a.name}"
                is_module = (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists() \
                    or (PACKAGE.parent / sub.replace(".", "/") / "__init__.py").exists()
                found.add(sub if is_module else target)
    return found


GRAPH = {_module(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_no_module_imports_from_a_higher_layer():
    bad = [f"{m} ({_layer(m)}) imports {d} ({_layer(d)})"
           for m, deps in GRAPH.items() for d in deps
           if LAYERS[_layer(d)] > LAYERS[_layer(m)]]
    assert not bad, "\n".join(bad)


def test_framework_folders_exist_and_hold_the_flow():
    for folder, expected in {"engine": {"discovery", "seeding", "sweep", "executors", "store", "versioning"},
                             "stats": {"fit", "verdict", "analyse"},
                             "report": {"outputs", "pages"},
                             "commands": {"cli", "runner", "calibrate", "scaffold", "pytest_plugin"}}.items():
        have = {p.stem for p in (PACKAGE / folder).glob("*.py")}
        assert expected <= have, (folder, expected - have)


def test_import_graph_has_no_cycles():
    graph = {m: {d for d in deps if d in GRAPH and d != m and not m.startswith(d + ".")} for m, deps in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for d in graph[m]:
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [m, d]))
            if d not in state:
                visit(d, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
