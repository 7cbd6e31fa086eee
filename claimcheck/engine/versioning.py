"""A claim's version: the hash of the code its measurements depend on, and of nothing else.

A stored measurement is reused only while its claim version is unchanged, so the
version must move whenever code that could change a measured number changes, and
should not move when only prose changes (a re-calibration costs minutes to hours).

What is hashed:

- the claim file itself, minus its plan-only keywords (:func:`without_plan_only`);
- every module it imports, transitively, that is *project code*: a helper next to the
  claim (``claims/_mymodel.py``), the claim's own package (entry-point claims), and
  claimcheck's models and metrics (``claimcheck.models``, ``claimcheck.metrics``);
- claimcheck's own code that every measurement passes through (:data:`MEASURING_MODULES`),
  whatever the claim imports. Read from ``engine/sweep.py``'s ``plan`` and ``run_task``:

  - ``claimcheck.claim``: ``Claim.variant`` (which simulate a task runs),
    ``reference_of`` (which reference), ``reference_axes`` / ``reference_point`` (what the
    reference sees), ``n_replicates``, ``grid``, ``batch`` / ``auto_batch_size`` and
    ``grouping`` (which replicates share a batch and a task), ``one_from_batch`` and the
    ``batched`` handling of ``__post_init__`` (how simulate_batch becomes simulate);
  - ``claimcheck.engine.seeding``: every replicate's seed (``point_key``, ``seed_sequence``,
    ``rng_for``);
  - ``claimcheck.engine.sweep``: the plan (grid points, batches, grouping) and the worker
    (``run_task``: variant, references, reducers, batched or one by one, which metrics
    are kept).

  Not hashed, because no edit of them changes a stored number of the same code:
  ``engine.discovery`` (finds and imports the claim file; the file it resolves, and the
  helpers that file resolves, are what is hashed), ``engine.executors`` (carries tasks
  and rows unchanged; it only limits BLAS threads, a round-off matter: the
  reproducibility contract), ``engine.store`` (keeps rows losslessly, JSON floats
  round-trip exactly), the package ``__init__`` (re-exports; its ``__version__`` is not
  code that measures). Judging code is never hashed: ``claimcheck.ratekinds`` (imported
  by ``claim.py`` for validation only), ``stats`` and ``report``: verdicts are recomputed
  from the stored rows on every run, so an edit there takes effect without re-measuring;
- the claim's ``params`` and ``common_random_numbers``.

Each file is hashed as its syntax tree without docstrings (of module, classes and
functions, and any other bare string statement) and without comments, formatting or line
numbers (:func:`code_text`): an edit of prose moves nothing, any edit of code moves the
version. Caveats: code that reads its own ``__doc__`` would escape the hash (nothing in a
measurement does); the tree is written out field by field with empty fields left out, so
the text is the same on every Python patch release and, for code that uses no syntax new
in a release, usually across minor releases too (3.12 added ``type_params``, empty and
so left out); a new minor release may still parse some construct into another tree and
so move versions once.

The standard library and third-party distributions (numpy, scipy, ...) are not hashed:
their versions are recorded in each run's provenance instead.

Imports are found statically (every ``import`` statement of a module's source, also
those inside functions), so a helper imported lazily in ``simulate`` is covered.
Imports by computed name (``importlib.import_module(name)``) cannot be seen: declare
such a dependency by importing it normally, or pin ``Claim(version=...)``.

``Claim(version="...")`` overrides the source hash, as asv's ``version`` attribute does:
the author declares that measurements did not change; bump the string when they do.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import sys
import sysconfig
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from ..claim import Claim

# claimcheck modules that every measurement passes through, whatever the claim imports
# (the module docstring says why these and no others)
MEASURING_MODULES = ("claimcheck.claim", "claimcheck.engine.seeding", "claimcheck.engine.sweep")
# claimcheck packages a claim may import whose code is part of what it measures
MEASURING_PACKAGES = ("claimcheck.models", "claimcheck.metrics")

PLAN_ONLY_KEYWORDS = ("calibration", "replicates", "timeout")


# -- which modules are project code ---------------------------------------------------
@lru_cache(maxsize=1)
def _third_party_tops() -> frozenset[str]:
    from importlib.metadata import packages_distributions

    try:
        return frozenset(packages_distributions())
    except Exception:  # noqa: BLE001 - a broken distribution's metadata must not stop a run
        return frozenset()


@lru_cache(maxsize=1)
def _installed_roots() -> tuple[Path, ...]:
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            roots.add(Path(sysconfig.get_paths()[key]).resolve())
        except (KeyError, OSError):
            pass
    for p in sys.path:
        if p and Path(p).name in ("site-packages", "dist-packages"):
            roots.add(Path(p).resolve())
    return tuple(roots)


def _origin(name: str) -> Path | None:
    """The source file of module ``name`` (loaded or not), or None."""
    mod = sys.modules.get(name)
    path = getattr(mod, "__file__", None) if mod is not None else None
    if path is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError, AttributeError):
            return None
        path = spec.origin if spec is not None and spec.has_location else None
    if not path or not str(path).endswith(".py"):
        return None  # built-in, frozen, extension module or namespace package: nothing to hash
    return Path(path).resolve()


def is_project_module(name: str, own_top: str | None) -> bool:
    """True if module ``name`` is code whose change can change a claim's measurements
    and is not versioned by a distribution (see the module docstring)."""
    top = name.split(".")[0]
    if top == "claimcheck":
        return name in MEASURING_MODULES or any(name == p or name.startswith(p + ".") for p in MEASURING_PACKAGES)
    if top in sys.stdlib_module_names:
        return False
    if own_top is not None and top == own_top:
        return True
    if top in _third_party_tops():
        return False
    origin = _origin(name)
    if origin is None:
        return False
    return not any(origin.is_relative_to(root) for root in _installed_roots())


# -- static imports of a module -----------------------------------------------------
def _module_exists(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError, AttributeError):
        return False


def _may_be_project(top: str, own_top: str | None) -> bool:
    return top in ("claimcheck", own_top) or not (top in sys.stdlib_module_names or top in _third_party_tops())


def imported_names(source: str, package: str | None, own_top: str | None = None) -> set[str]:
    """Dotted names of the modules ``source`` imports (anywhere in it), relative
    imports resolved against ``package``. ``from a import b`` yields ``a`` and, if
    ``a.b`` is a module, ``a.b`` (looked up only for possible project code, so that
    hashing never imports a heavy third-party package)."""
    names: set[str] = set()
    for level, module, aliases in _import_statements(source):
        if level is None:                      # import a.b.c
            for name in aliases:
                parts = name.split(".")
                names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            continue
        if level:
            if not package:
                continue
            try:
                base = importlib.util.resolve_name("." * level + (module or ""), package)
            except ImportError:
                continue
        else:
            base = module or ""
        if not base:
            continue
        parts = base.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        if not _may_be_project(parts[0], own_top):
            continue
        for alias in aliases:
            if alias != "*" and _module_exists(f"{base}.{alias}"):
                names.add(f"{base}.{alias}")
    return names


@lru_cache(maxsize=2048)
def _import_statements(source: str) -> tuple[tuple[int | None, str | None, tuple[str, ...]], ...]:
    """Every import statement of ``source`` as ``(level, module, names)``; ``level`` None
    for ``import a, b``. Cached by the text: a run hashes the same shared model modules
    once per claim (35 claims: 544 parses, ~3 s of the main job's start)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.append((None, None, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module, tuple(a.name for a in node.names)))
    return tuple(found)


def _package_of(name: str, path: Path) -> str | None:
    return name if path.name == "__init__.py" else (name.rpartition(".")[0] or None)


def _claim_module(claim: Claim) -> ModuleType | None:
    for fn in (claim.simulate_batch, claim.simulate):
        mod = sys.modules.get(getattr(fn, "__module__", "") or "")
        if mod is not None and claim.module_file and getattr(mod, "__file__", None) \
                and Path(mod.__file__).resolve() == Path(claim.module_file).resolve():
            return mod
    if claim.module_file:
        target = Path(claim.module_file).resolve()
        for mod in list(sys.modules.values()):
            f = getattr(mod, "__file__", None)
            if f and f.endswith(".py") and Path(f).resolve() == target:
                return mod
    return None


def dependencies(claim: Claim) -> dict[str, Path]:
    """Project modules the claim's measurements depend on: ``{module name: file}``,
    sorted by name (the claim file itself excluded)."""
    module = _claim_module(claim)
    claim_name = module.__name__ if module is not None else None
    package = getattr(module, "__package__", None) or None
    own_top = package.split(".")[0] if package else None
    found: dict[str, Path] = {}
    for name in MEASURING_MODULES:
        origin = _origin(name)
        if origin is not None:
            found[name] = origin
    todo = [(claim.source_text(), package)]
    while todo:
        source, pkg = todo.pop()
        for name in sorted(imported_names(source, pkg, own_top)):
            if name in found or name == claim_name or not is_project_module(name, own_top):
                continue
            origin = _origin(name)
            if origin is None:
                continue
            found[name] = origin
            try:
                text = origin.read_text(encoding="utf-8")
            except OSError:
                continue
            todo.append((text, _package_of(name, origin)))
    return dict(sorted(found.items()))


# -- the hash ---------------------------------------------------------------------------
class _DropProse(ast.NodeTransformer):
    """Removes docstrings: every statement that is a bare string (module, class and
    function docstrings, attribute docstrings). Such a statement does nothing when run."""

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None
        return node


def _canonical(node) -> str:
    """A syntax tree as text: node types and their non-empty fields, no positions (a
    line moved by a docstring edit moves nothing). Written here rather than with
    ``ast.dump`` because what ``ast.dump`` shows of empty fields changed in Python 3.13."""
    if isinstance(node, ast.AST):
        fields = []
        for name in node._fields:
            value = getattr(node, name, None)
            if value is None or (isinstance(value, list) and not value):
                continue
            fields.append(f"{name}={_canonical(value)}")
        return f"{type(node).__name__}({', '.join(fields)})"
    if isinstance(node, list):
        return "[" + ", ".join(_canonical(v) for v in node) + "]"
    return repr(node)


def _tree_text(tree: ast.AST) -> str:
    return _canonical(_DropProse().visit(tree))


def code_text(source: str) -> str:
    """A module's code as the version sees it: its syntax tree without docstrings,
    comments, formatting or line numbers. A file that does not parse is returned as it is."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    return _tree_text(tree)


@lru_cache(maxsize=2048)
def code_digest(source: str) -> str:
    """The hash of :func:`code_text`: what the version takes of each dependency. Cached by
    the text (a pure function of it): claims share their model modules."""
    return hashlib.sha256(code_text(source).encode()).hexdigest()


def without_plan_only(source: str) -> str:
    """The claim file as the version sees it: :func:`code_text` of it without the
    plan-only keywords ``calibration=`` (any call) and ``replicates=`` / ``timeout=``
    (of ``Claim(...)``).

    None of them changes what a measurement is, so none may change the claim's version:
    a calibration record written into a claim file after measuring it must not
    invalidate the very measurements it summarises; raising the replicate count (what an
    inconclusive verdict asks for) must reuse the replicates already stored and compute
    only the new ones (replicate r's seed does not depend on the count, and the analysis
    reads replicates 0..n-1 only); a time limit decides whether a measurement is made,
    never its value. A file that does not parse is returned as it is."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source

    def is_claim(call):  # Claim(...) or claimcheck.Claim(...)
        f = call.func
        return (f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)) == "Claim"

    class _Strip(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            claim = is_claim(node)
            node.keywords = [kw for kw in node.keywords
                             if not (kw.arg == "calibration" or (claim and kw.arg in PLAN_ONLY_KEYWORDS))]
            return node

    return _tree_text(_Strip().visit(tree))


def claim_version(claim: Claim) -> str:
    """16 hex digits naming the code the claim's measurements depend on (module docstring).

    The id keeps two claims defined in one file apart. With ``Claim(version=...)`` the
    author's string stands in for every source hash."""
    h = hashlib.sha256()
    h.update(claim.id.encode())
    if claim.version is not None:
        h.update(b"\0explicit version\0" + str(claim.version).encode())
    else:
        h.update(without_plan_only(claim.source_text()).encode())
        for name, path in dependencies(claim).items():
            try:
                digest = code_digest(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                digest = "<unreadable>"
            h.update(b"\0" + name.encode() + b"\0" + digest.encode())
    h.update(json.dumps({"params": claim.params, "crn": claim.common_random_numbers},
                        sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]
