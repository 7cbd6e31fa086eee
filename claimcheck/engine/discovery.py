"""Find claims by convention: every module-level Claim in ``claims/*.py``.

Like pytest's collection, a broken file does not stop the others: it becomes a
:class:`LoadError` with a one-line reason, reported next to the claims that loaded.
"""
from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..claim import Claim, ClaimDefinitionError
from .versioning import claim_version, without_plan_only as _without_plan_only  # noqa: F401 - re-exported

ENTRY_POINT_GROUP = "claimcheck.claims"


@dataclass
class LoadError:
    """A claim file that could not be loaded: where, and why in one line."""

    path: str
    reason: str

    @property
    def id(self) -> str:  # reported in place of a claim id
        return f"<{Path(self.path).name}>"


def default_claims_dirs() -> list[Path]:
    return [Path.cwd() / "claims"]


def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    return f"claimcheck_claims_{path.stem.replace('-', '_')}_{digest}"


_loaded: dict[str, ModuleType] = {}


def _package_module_name(path: Path) -> str | None:
    """Dotted module name of a file inside a package (folders with ``__init__.py``)."""
    if not (path.parent / "__init__.py").is_file():
        return None
    parts = [] if path.name == "__init__.py" else [path.stem]
    d = path.parent
    while (d / "__init__.py").is_file():
        parts.insert(0, d.name)
        d = d.parent
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _import_from_package(path: Path) -> ModuleType | None:
    """Import a file that belongs to an importable package by its dotted name.

    Claims provided by installed packages (entry points) may use relative imports;
    loaded by path under a made-up name they fail ("attempted relative import with no
    known parent package"), in workers too. Returns None (load by path instead) when
    the file is not in a package, or the package is not importable from sys.path, or
    the name resolves to another file.
    """
    name = _package_module_name(path)
    if name is None:
        return None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or Path(spec.origin).resolve() != path:
        return None
    return importlib.import_module(name)


def load_module(path: str | Path) -> ModuleType:
    """Import a claim file by path (cached per process; workers call this too)."""
    path = Path(path).resolve()
    key = str(path)
    if key in _loaded:
        return _loaded[key]
    module = _import_from_package(path)
    if module is not None:
        _loaded[key] = module
        return module
    module = exec_file(path, _module_name(path))
    _loaded[key] = module
    return module


def make_folder_importable(folder: Path) -> None:
    """Put a claims folder first on sys.path, so its claim files can import the helper
    modules next to them (``import _mymodel``), as a script can import the modules in its
    own folder. Done wherever a claim file is loaded: runner, check-claim, pool and Dask
    workers (they load claim files through here too)."""
    entry = str(Path(folder).resolve())
    if entry not in sys.path:
        sys.path.insert(0, entry)
        importlib.invalidate_caches()


def exec_file(path: Path, name: str) -> ModuleType:
    """Execute a file as module ``name`` (registered in sys.modules, as dataclasses and
    pickling need; removed again if the file raises)."""
    make_folder_importable(path.parent)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def claims_in_module(module: ModuleType, path: str | None = None) -> list[Claim]:
    claims = [v for v in vars(module).values() if isinstance(v, Claim)]
    for c in claims:
        c.module_file = path or getattr(module, "__file__", None)
    return claims


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def invalid_claim(exc: ClaimDefinitionError, path: str | Path) -> str:
    """'invalid claim: <why> (line N)', N the line in the user's file that built the
    object (the `Claim(` call), not a line of claimcheck's own source."""
    target = str(Path(path).resolve())
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
             if str(Path(f.filename).resolve()) == target]
    return f"invalid claim: {exc}" + (f" (line {lines[-1]})" if lines else "")


def load_file(path: str | Path) -> tuple[list[Claim], list[LoadError]]:
    path = Path(path)
    try:
        module = load_module(path)
    except ClaimDefinitionError as exc:
        return [], [LoadError(str(path), invalid_claim(exc, path))]
    except BaseException as exc:  # noqa: BLE001 - a user file may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        return [], [LoadError(str(path), _one_line(exc))]
    claims = claims_in_module(module, str(path.resolve()))
    if not claims:
        return [], [LoadError(str(path), "defines no Claim (expected a module-level `claim = Claim(...)`)")]
    return claims, []


def _entry_point_claims() -> tuple[list[Claim], list[LoadError]]:
    from importlib.metadata import entry_points

    claims: list[Claim] = []
    errors: list[LoadError] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            errors.append(LoadError(f"entry point {ep.name}", _one_line(exc)))
            continue
        # Workers re-import the claim's module by its file and look the claim up among the
        # module-level Claims there, so every claim must be a module-level Claim of the
        # entry point's module (not of the module its simulate function comes from).
        home = sys.modules.get(ep.module)
        home_file = getattr(home, "__file__", None)
        if isinstance(obj, ModuleType):
            found = claims_in_module(obj)
        elif isinstance(obj, Claim):
            found = [obj]
        else:
            try:
                found = [c for c in (obj() if callable(obj) else obj) if isinstance(c, Claim)]
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    raise
                errors.append(LoadError(f"entry point {ep.name}", _one_line(exc)))
                continue
        if not found:
            errors.append(LoadError(f"entry point {ep.name}", "provides no Claim"))
            continue
        module_level = {id(v) for v in vars(home).values()} if home is not None else set()
        stray = [c.id for c in found if id(c) not in module_level]
        if stray and not isinstance(obj, ModuleType):
            errors.append(LoadError(f"entry point {ep.name}",
                                    f"claim(s) {', '.join(stray)} are not module-level objects of {ep.module}; "
                                    f"point the entry point at a module or a module-level Claim"))
            continue
        for c in found:
            if not isinstance(obj, ModuleType):
                c.module_file = home_file
        claims.extend(found)
    return claims, errors


def discover(dirs: list[str | Path] | None = None, entry_points: bool = True) -> tuple[list[Claim], list[LoadError]]:
    """All claims in ``dirs`` (default ``./claims``) plus installed entry points.

    A folder named explicitly must exist; the default ``./claims`` may be missing (a
    project whose claims all come from entry points)."""
    claims: list[Claim] = []
    errors: list[LoadError] = []
    for d in (default_claims_dirs() if dirs is None else dirs):  # [] means: no folders, entry points only
        d = Path(d)
        if not d.is_dir():
            if dirs is not None:
                errors.append(LoadError(str(d), "claims folder does not exist"))
            continue
        for path in sorted(d.glob("*.py")):
            if path.name.startswith("_"):
                continue
            found, errs = load_file(path)
            claims.extend(found)
            errors.extend(errs)
    if entry_points:
        found, errs = _entry_point_claims()
        claims.extend(found)
        errors.extend(errs)
    seen: dict[str, Claim] = {}
    unique: list[Claim] = []
    for c in claims:
        if c.id in seen:
            errors.append(LoadError(c.module_file or c.id, f"duplicate claim id {c.id!r} (also in {seen[c.id].module_file})"))
            continue
        seen[c.id] = c
        unique.append(c)
    return sorted(unique, key=lambda c: c.id), errors


def select(claims: list[Claim], patterns: list[str] | None) -> tuple[list[Claim], list[str]]:
    """Claims whose id matches any glob; also the patterns that matched nothing."""
    if not patterns:
        return list(claims), []
    chosen, unmatched = [], []
    for pat in patterns:
        hits = [c for c in claims if fnmatch.fnmatchcase(c.id, pat)]
        if not hits:
            unmatched.append(pat)
        for c in hits:
            if c not in chosen:
                chosen.append(c)
    return chosen, unmatched
