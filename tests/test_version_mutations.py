"""The hasher's own mutation test (issue 19, item 3): the version is the code's, and only the code's.

For every function that decides what is measured, a planted behavioural edit (a flipped
comparison, another constant, a swapped argument) must move the claim version; an edit
of prose (docstrings edited or added, comments added, lines moved) of every hashed
module and of every shipped claim file must not. Nothing installed is edited: the
edits are made on the source text (``versioning.code_digest`` is a pure function of it)
and on copies in tmp_path, which ``claim_version`` is pointed at through
``versioning._origin`` (the one place it resolves a module to its file).
"""
from __future__ import annotations

import ast
import io
import shutil
import tokenize
from pathlib import Path

import pytest

from claimcheck.engine import discovery, versioning
from claimcheck.engine.discovery import load_file
from claimcheck.engine.versioning import claim_version, code_digest, dependencies, without_plan_only

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "claims").glob("*.py") if not p.name.startswith("_"))

# (module, what the edit breaks, exact text, replacement): one behavioural edit each
MUTATIONS = [
    ("claimcheck.claim", "Claim.variant: the claim runs its first mutant",
     '        if name in (None, ""):\n            return self.simulate, self.simulate_batch',
     '        if name in (None, ""):\n            return self.mutants[0].simulate, self.mutants[0].simulate_batch'),
    ("claimcheck.claim", "Claim.variant: a mutant runs the claim's code",
     "                return m.simulate, m.simulate_batch",
     "                return self.simulate, self.simulate_batch"),
    ("claimcheck.claim", "reference_of: a mutant's own reference is ignored",
     '(m.reference, m.name) if m.reference is not None else (self.reference, "")',
     '(self.reference, "")'),
    ("claimcheck.claim", "reference_axes: the fitted axes instead of the others",
     "return tuple(a for a in axes if a not in fitted)",
     "return tuple(a for a in axes if a in fitted)"),
    ("claimcheck.claim", "reference_point: the reference sees the whole point",
     "return {a: point[a] for a in self.reference_axes if a in point}",
     "return dict(point)"),
    ("claimcheck.claim", "auto_batch_size: another batch cap (a constant)",
     "MAX_AUTO_BATCH = 64", "MAX_AUTO_BATCH = 32"),
    ("claimcheck.claim", "auto_batch_size: >= flipped to >",
     "if n >= 2 * MIN_SPLIT_BATCH:", "if n > 2 * MIN_SPLIT_BATCH:"),
    ("claimcheck.claim", "Claim.batch: the claim's batch_size ignored",
     "return int(self.batch_size) if self.batch_size else auto_batch_size(self.n_replicates(profile))",
     "return auto_batch_size(self.n_replicates(profile))"),
    ("claimcheck.claim", "Claim.grouping: and -> or",
     'return "replicate" if self.reference is not None and self.common_random_numbers else "point"',
     'return "replicate" if self.reference is not None or self.common_random_numbers else "point"'),
    ("claimcheck.claim", "Claim.n_replicates: another profile's count",
     "return int(self.replicates[profile])", 'return int(self.replicates["quick"])'),
    ("claimcheck.claim", "one_from_batch: the reference handed unwrapped",
     "return simulate_batch(point, [rng], *([r] for r in reference))[0]",
     "return simulate_batch(point, [rng], *reference)[0]"),
    ("claimcheck.claim", "Claim.__post_init__: batched flag inverted",
     "        if self.batched:\n", "        if not self.batched:\n"),
    ("claimcheck.engine.seeding", "stable_hash32: byte order",
     'digest()[:4], "little")', 'digest()[:4], "big")'),
    ("claimcheck.engine.seeding", "point_key: another encoding of values",
     "sort_keys=True, default=float)", "sort_keys=True, default=str)"),
    ("claimcheck.engine.seeding", "seed_sequence: common random numbers keyed 1",
     "pkey = 0 if point is None", "pkey = 1 if point is None"),
    ("claimcheck.engine.seeding", "seed_sequence: spawn key order swapped",
     "spawn_key=(stable_hash32(claim_id), pkey, int(replicate))",
     "spawn_key=(pkey, stable_hash32(claim_id), int(replicate))"),
    ("claimcheck.engine.seeding", "rng_for: another bit generator",
     "return np.random.default_rng(seed_sequence(claim_id, point, replicate, master_seed))",
     "return np.random.Generator(np.random.MT19937(seed_sequence(claim_id, point, replicate, master_seed)))"),
    ("claimcheck.claim", "grid_points: axis values sorted",
     "itertools.product(*(list(grid[a]) for a in axes))", "itertools.product(*(sorted(grid[a]) for a in axes))"),
    ("claimcheck.engine.sweep", "plan: batches under a reference without simulate_batch",
     "size = 1 if grouped and claim.simulate_batch is None else claim.batch(profile)",
     "size = claim.batch(profile)"),
    ("claimcheck.engine.sweep", "plan: the last replicate of each batch dropped",
     "range(start, min(start + size, n_rep))", "range(start, min(start + size, n_rep) - 1)"),
    ("claimcheck.engine.sweep", "_find_claim: == flipped to !=",
     "if c.id == task.claim_id:", "if c.id != task.claim_id:"),
    ("claimcheck.engine.sweep", "run_task: every variant runs the claim",
     "simulate, simulate_batch = claim.variant(task.variant or None)",
     "simulate, simulate_batch = claim.variant(None)"),
    ("claimcheck.engine.sweep", "_clean_metrics: metrics rounded",
     "x = float(v)", "x = round(float(v), 6)"),
    ("claimcheck.engine.sweep", "_apply_reducers: reducers see another point",
     "out[name] = fn(out, point)", "out[name] = fn(point, out)"),
    ("claimcheck.engine.sweep", "_references: the reference sees the whole point",
     "rpoint = claim.reference_point(point)", "rpoint = dict(point)"),
    ("claimcheck.engine.sweep", "_references: cache keyed by the reference point only",
     "where = point_key(rpoint) if seed_point is None else point_key(point)", "where = point_key(rpoint)"),
    ("claimcheck.engine.sweep", "_run_point: common random numbers ignored",
     "seed_point = None if task.common_random_numbers else point", "seed_point = point"),
    ("claimcheck.metrics", "sliced_wasserstein: another projection count",
     "n_projections: int = 256", "n_projections: int = 128"),
    ("claimcheck.models.lam2023", "the model: another Gauss-Hermite order",
     "GH_NODES = 40", "GH_NODES = 20"),
]

# a claim that depends on each module above (a shipped one; its file is only read)
CLAIM_FOR = {"claimcheck.metrics": "classical_w1_empirical.py", "claimcheck.models.lam2023": "lam2023_units_law.py"}


def _claim(module: str):
    claims, errors = load_file(ROOT / "claims" / CLAIM_FOR.get(module, "classical_clt_mean.py"))
    assert errors == [], errors
    assert module in dependencies(claims[0]), module
    return claims[0]


def _version_with(monkeypatch, claim, module: str, copy: Path) -> str:
    """The claim's version if ``module``'s file read as ``copy``."""
    real = versioning._origin
    with monkeypatch.context() as m:
        m.setattr(versioning, "_origin", lambda name: copy.resolve() if name == module else real(name))
        return claim_version(claim)


def _source(module: str) -> str:
    return Path(versioning._origin(module)).read_text(encoding="utf-8")


# -- prose edits (each keeps the code) --------------------------------------------------
def _char_col(line: str, byte_col: int) -> int:
    return len(line.encode("utf-8")[:byte_col].decode("utf-8"))


def _insert(source: str, edits: list[tuple[int, int, str]]) -> str:
    """Insert text at (line, character column) positions, latest first."""
    lines = source.splitlines(keepends=True)
    for row, col, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + text + line[col:]
    return "".join(lines)


def _docstring_owners(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                                           ast.AsyncFunctionDef)) and n.body]


def _is_docstring(stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def edit_docstrings(source: str) -> str:
    """Every docstring reworded, and a line added to each triple-quoted one (so all the
    code below it moves down); a module without one gets one."""
    tree = ast.parse(source)
    if not (tree.body and _is_docstring(tree.body[0])):
        source = '"""An added module docstring."""\n' + source
    lines = source.splitlines(keepends=True)
    edits = []
    for owner in _docstring_owners(ast.parse(source)):
        if not _is_docstring(owner.body[0]):
            continue
        c = owner.body[0].value
        line = lines[c.lineno - 1]
        j = _char_col(line, c.col_offset)
        while line[j] in "rRuU":
            j += 1
        quote = line[j:j + 3] if line[j:j + 3] in ('"""', "'''") else line[j]
        edits.append((c.lineno, j + len(quote), "Reworded. "))
        if len(quote) == 3:
            end = _char_col(lines[c.end_lineno - 1], c.end_col_offset) - 3
            edits.append((c.end_lineno, end, "\nAn added line of prose.\n"))
    return _insert(source, edits)


def add_docstrings(source: str) -> str:
    """A docstring added to every function and class that has none."""
    edits = []
    for owner in _docstring_owners(ast.parse(source)):
        if isinstance(owner, ast.Module) or _is_docstring(owner.body[0]) or owner.body[0].lineno == owner.lineno:
            continue
        first = owner.body[0]
        edits.append((first.lineno, 0, " " * first.col_offset + '"""An added docstring."""\n'))
    return _insert(source, edits)


def add_comments(source: str) -> str:
    """A comment at the end of every logical line, and a comment line before every def
    and class."""
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NEWLINE and tok.string:
            edits.append((tok.start[0], tok.start[1], "  # an added comment"))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            row = min([node.lineno] + [d.lineno for d in node.decorator_list])
            edits.append((row, 0, " " * node.col_offset + "# an added comment line\n"))
    return _insert(source, edits)


PROSE_EDITS = {"docstrings reworded": edit_docstrings, "docstrings added": add_docstrings,
               "comments added": add_comments}


@pytest.fixture(scope="module")
def hashed():
    """{module: a shipped claim whose version hashes it}, for every module the shipped
    claims' versions hash besides the claim files."""
    found = {}
    for path in SHIPPED:
        for c in load_file(path)[0]:
            for name in dependencies(c):
                found.setdefault(name, c)
    return dict(sorted(found.items()))


# -- the tests ---------------------------------------------------------------------------
def test_every_measuring_module_is_hashed_and_judging_code_is_not(hashed):
    deps = dependencies(_claim("claimcheck.claim"))
    assert {"claimcheck.claim", "claimcheck.engine.seeding", "claimcheck.engine.sweep"} <= set(deps)
    every = set(hashed)
    for judging in ("claimcheck.ratekinds", "claimcheck.stats.verdict", "claimcheck.stats.fit",
                    "claimcheck.stats.analyse", "claimcheck.report.data", "claimcheck"):
        assert judging not in every, judging


@pytest.mark.parametrize("module,what,old,new", MUTATIONS, ids=[m[1] for m in MUTATIONS])
def test_a_behavioural_edit_moves_the_version(module, what, old, new, tmp_path, monkeypatch):
    source = _source(module)
    assert source.count(old) == 1, f"the planted edit no longer matches {module}: {old!r}"
    edited = source.replace(old, new)
    ast.parse(edited)                                   # still a program
    assert code_digest(edited) != code_digest(source)
    claim = _claim(module)
    copy = tmp_path / Path(versioning._origin(module)).name
    copy.write_text(source, encoding="utf-8")
    before = _version_with(monkeypatch, claim, module, copy)
    assert before == claim_version(claim)               # the copy stands in for the module
    copy.write_text(edited, encoding="utf-8")
    assert _version_with(monkeypatch, claim, module, copy) != before, what


# each edit re-hashes every hashed module (~3 s): the default suite keeps one, CI runs all three
@pytest.mark.parametrize("edit", [pytest.param(e, marks=[] if e == "comments added" else [pytest.mark.slow])
                                  for e in PROSE_EDITS])
def test_a_prose_edit_of_any_hashed_module_keeps_every_version(edit, hashed, tmp_path, monkeypatch):
    assert len(hashed) >= 10, list(hashed)
    changed = 0
    for module, claim in hashed.items():
        source = _source(module)
        edited = PROSE_EDITS[edit](source)
        ast.parse(edited)
        assert code_digest(edited) == code_digest(source), (module, edit)
        copy = tmp_path / f"{module}.py"
        copy.write_text(edited, encoding="utf-8")
        if edited == source:                            # e.g. no function lacks a docstring
            continue
        changed += 1
        assert _version_with(monkeypatch, claim, module, copy) == claim_version(claim), (module, edit)
    assert changed >= len(hashed) // 2, (edit, changed)


@pytest.mark.parametrize("edit", list(PROSE_EDITS))
def test_a_prose_edit_of_a_shipped_claim_file_keeps_its_version(edit):
    changed = 0
    for path in SHIPPED:
        source = path.read_text(encoding="utf-8")
        edited = PROSE_EDITS[edit](source)
        changed += edited != source
        assert without_plan_only(edited) == without_plan_only(source), (path.name, edit)
    assert changed >= len(SHIPPED) // 2


def test_prose_edits_keep_the_text_and_a_code_edit_does_not():
    """The prose edits change the file (not a vacuous test); a changed number in a claim
    file moves its version."""
    source = (ROOT / "claims" / "classical_clt_mean.py").read_text(encoding="utf-8")
    for edit in PROSE_EDITS.values():
        assert edit(source) != source
    assert without_plan_only(source.replace("rng.exponential(1.0, size=int(point[\"N\"]))\n    return {\"abs_err\": abs(x.mean()",
                                            "rng.exponential(2.0, size=int(point[\"N\"]))\n    return {\"abs_err\": abs(x.mean()")) \
        != without_plan_only(source)


def test_a_docstring_only_edit_of_a_shipped_claim_keeps_its_calibration_current(tmp_path):
    from claimcheck.stats import calibration_records

    d = tmp_path / "claims"
    d.mkdir()
    path = d / "classical_clt_mean.py"
    shutil.copy(ROOT / "claims" / path.name, path)
    claim = load_file(path)[0][0]
    calibration_records.save_record(path, claim.id, "quick", {"seeds": 10, "false_fail_rate": 0.0},
                                    claim_version(claim))
    assert calibration_records.status(claim)[0] == "current"
    source = path.read_text(encoding="utf-8")
    path.write_text(add_comments(add_docstrings(edit_docstrings(source))).replace(
        "central limit theorem", "central limit theorem, as every textbook states"), encoding="utf-8")
    discovery._loaded.pop(str(path.resolve()), None)
    claim = load_file(path)[0][0]
    assert calibration_records.status(claim)[0] == "current"
    # a code edit: the record is stale
    path.write_text(source.replace('{"abs_err": abs(x.mean() - 1.0)}', '{"abs_err": abs(x.mean() - 1.01)}', 1),
                    encoding="utf-8")
    discovery._loaded.pop(str(path.resolve()), None)
    assert calibration_records.status(load_file(path)[0][0])[0] == "stale"


def test_the_code_text_has_no_line_numbers_and_no_docstrings():
    text = versioning.code_text('"""Doc."""\n\n\ndef f(x):\n    """Doc."""\n    return x + 1  # why\n')
    assert text == versioning.code_text("def f(x):\n    return x + 1\n")
    assert "lineno" not in text and "Doc." not in text and "why" not in text
    assert versioning.code_text("def f(x):\n    return x + 1\n") != versioning.code_text("def f(x):\n    return x - 1\n")
    # a string that is an expression's value is code, not prose
    assert versioning.code_text('x = "a"\n') != versioning.code_text('x = "b"\n')


def test_show_lists_what_the_version_hashes(capsys):
    from claimcheck.commands.cli import main

    assert main(["show", "classical.clt-mean", "--claims-dir", str(ROOT / "claims"), "--store", "/nonexistent/s.sqlite"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "depends on:" in ln)
    assert line.split("depends on: ")[1] == "claimcheck.claim, claimcheck.engine.seeding, claimcheck.engine.sweep"
