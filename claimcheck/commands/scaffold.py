"""`claimcheck new` (write a claim file from the template) and `claimcheck check-claim`
(validate a claim file without running it).

check-claim imports the file (its top-level code runs, as with any Python module) and
validates every Claim in it; it never calls simulate, mutants, reducers or artefacts.
Each problem is one line, ``FILE: error: ...``; warnings do not change the exit status.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import inspect
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ..claim import Claim, ClaimDefinitionError

TEMPLATE = Path(__file__).parent / "templates" / "claim.py.tmpl"
PAPER_KEY_RE = re.compile(r"^[a-z][a-z0-9]*$")
CLAIM_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ScaffoldError(ValueError):
    """A bad argument to `claimcheck new` (one line)."""


def names(paper_key: str, claim_name: str) -> tuple[str, str]:
    """(claim id, file name) for a paper key and a claim name.

    ``sirignano2020``, ``lln`` -> (``sirignano2020.lln``, ``sirignano2020_lln.py``);
    a claim name may use - or _ : the id uses -, the file name _.
    """
    key = paper_key.strip()
    name = claim_name.strip()
    if not PAPER_KEY_RE.match(key):
        raise ScaffoldError(f"paper key {paper_key!r} must be lower-case letters and digits, starting with a "
                            f"letter (e.g. 'sirignano2020': first author + year)")
    if not CLAIM_NAME_RE.match(name):
        raise ScaffoldError(f"claim name {claim_name!r} must be lower-case letters, digits, '-' or '_' "
                            f"(e.g. 'lln' or 'memory-clt')")
    name = name.replace("_", "-").strip("-")
    return f"{key}.{name}", f"{key}_{name.replace('-', '_')}.py"


def render(paper_key: str, claim_name: str, today: str | None = None) -> tuple[str, str, str]:
    """(claim id, file name, file text) of a new claim."""
    claim_id, filename = names(paper_key, claim_name)
    text = TEMPLATE.read_text(encoding="utf-8")
    for token, value in {"__CLAIM_ID__": claim_id, "__PAPER_KEY__": paper_key, "__CLAIM_NAME__": claim_id.split(".", 1)[1],
                         "__FILENAME__": f"claims/{filename}",
                         "__DATE__": today or _dt.date.today().isoformat()}.items():
        text = text.replace(token, value)
    return claim_id, filename, text


def new_claim(paper_key: str, claim_name: str, folder: str | Path = "claims", force: bool = False) -> tuple[Path, str]:
    """Write ``folder/<paperkey>_<claimname>.py``; returns (path, claim id)."""
    claim_id, filename, text = render(paper_key, claim_name)
    folder = Path(folder)
    path = folder / filename
    if path.exists() and not force:
        raise ScaffoldError(f"{path} exists already (use --force to overwrite)")
    if folder.is_dir():
        pattern = re.compile(r"""\bid\s*=\s*['"]""" + re.escape(claim_id) + r"""['"]""")
        for other in sorted(folder.glob("*.py")):
            if other.resolve() != path.resolve() and pattern.search(other.read_text(encoding="utf-8", errors="replace")):
                raise ScaffoldError(f"claim id {claim_id!r} is already used in {other}")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path, claim_id


# -- check-claim ---------------------------------------------------------------------

@dataclass
class CheckResult:
    path: str
    claims: list[Claim] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        out = [f"{self.path}: error: {e}" for e in self.errors]
        out += [f"{self.path}: warning: {w}" for w in self.warnings]
        if self.ok:
            for c in self.claims:
                quick = c.grid("quick")
                n_points = math.prod(len(list(v)) for v in quick.values())
                reps = c.n_replicates("quick")
                out.append(f"{self.path}: ok: {c.id}: {len(c.rates)} rate(s), {len(c.mutants)} mutant(s); quick profile "
                           f"{n_points} point(s) x {reps} replicates = {n_points * reps} simulations per variant")
        return out


def _import_fresh(path: Path) -> ModuleType:
    """Import a file under a fresh module name (no cache: a re-check sees the edits)."""
    from ..engine.discovery import _import_from_package, exec_file

    module = _import_from_package(path)  # files of an installed package keep their relative imports
    if module is not None:
        return module
    digest = hashlib.sha1(f"{path}:{path.stat().st_mtime_ns}".encode()).hexdigest()[:10]
    name = f"claimcheck_check_{path.stem.replace('-', '_')}_{digest}"
    module = exec_file(path, name)
    sys.modules.pop(name, None)
    return module


def _takes(fn, n: int) -> bool:
    try:
        inspect.signature(fn).bind(*([None] * n))
        return True
    except TypeError:
        return False
    except ValueError:  # no signature (builtins): cannot tell
        return True


def _check_callable(errors: list[str], what: str, fn, n: int, args: str) -> None:
    if fn is None:
        return
    if not callable(fn):
        errors.append(f"{what} is not callable")
    elif not _takes(fn, n):
        errors.append(f"{what} must take {n} positional argument(s) {args}; its signature is {inspect.signature(fn)}")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_claim_object(c: Claim) -> tuple[list[str], list[str]]:
    """(errors, warnings) for one Claim, beyond what Claim.validate() enforces."""
    from ..engine.seeding import point_key
    from ..claim import grid_points

    errors: list[str] = []
    warnings: list[str] = []
    p = f"claim {c.id!r}: "
    n, ref, refs = (3, ", ref", ", refs") if c.reference is not None else (2, "", "")
    _check_callable(errors, p + "simulate", c.simulate, n, f"(point, rng{ref})")
    _check_callable(errors, p + "simulate_batch", c.simulate_batch, n, f"(point, rngs{refs})")
    _check_callable(errors, p + "reference", c.reference, 2, "(point, rngs)")
    for m in c.mutants:
        _check_callable(errors, p + f"mutant {m.name!r} simulate", m.simulate, n, f"(point, rng{ref})")
        _check_callable(errors, p + f"mutant {m.name!r} simulate_batch", m.simulate_batch, n, f"(point, rngs{refs})")
        _check_callable(errors, p + f"mutant {m.name!r} reference", m.reference, 2, "(point, rngs)")
        if c.simulate_batch is not None and m.simulate_batch is None:
            warnings.append(p + f"mutant {m.name!r} has no simulate_batch (runs replicate by replicate)")
    if not isinstance(c.reducers, dict):
        errors.append(p + "`reducers` must be a dict {metric: fn(outputs, point)}")
    else:
        for name, fn in c.reducers.items():
            _check_callable(errors, p + f"reducer {name!r}", fn, 2, "(outputs, point)")
    _check_callable(errors, p + "artefacts", c.artefacts, 1, "(ctx)")
    from ..report.math import unrenderable

    texts = [("statement", c.statement), ("title", c.title)] + [(f"rate {r.label} note", r.note) for r in c.rates]
    for where, text in texts:
        for bad in unrenderable(text or ""):
            warnings.append(p + f"{where}: math the report cannot render: {bad}")
    if not isinstance(c.replicates, int):
        extra = sorted(set(c.replicates) - set(c.grids))
        if extra:
            warnings.append(p + f"replicates for profile(s) {extra} that have no grid")
    for prof, grid in c.grids.items():
        try:
            for point in grid_points(grid):
                point_key(point)
        except (TypeError, ValueError) as exc:
            errors.append(p + f"grid {prof!r} has a value that cannot be stored: {exc}")
        for rate in c.rates:   # types, signs and sizes of the fitted axis: Claim.validate (run checks them too)
            values = list(grid.get(rate.axis, []))
            n = len(set(values))
            if rate.fit_last:
                n = min(n, rate.fit_last)
            if n < 4 and prof == "quick":
                warnings.append(p + f"rate {rate.label}: only {n} values of {rate.axis!r} in the quick grid; "
                                    f"with so few points the CI is wide")
        for rate in c.rates:
            if rate.floor_metric and rate.floor_metric == rate.metric:
                errors.append(p + f"rate {rate.label}: floor_metric is the metric itself")
    try:
        json.dumps(dict(c.params), default=str)
    except (TypeError, ValueError) as exc:
        errors.append(p + f"`params` cannot be recorded: {exc}")
    from ..stats.calibration_records import status

    if not isinstance(c.calibration, dict):
        errors.append(p + "`calibration` must be a dict (better: no calibration= at all, see claimcheck calibrate --record)")
    elif c.calibration:
        warnings.append(p + "calibration numbers in the claim file: `claimcheck calibrate --record` now writes them to "
                            "<claim file>.calibration.json; delete calibration= from the Claim")
    state, record = status(c, "quick")
    hint = f"run `claimcheck calibrate {c.id} --seeds 20 --mutants --record`"
    if state == "missing":
        warnings.append(p + f"not calibrated yet ({hint})")
    elif state == "stale":
        warnings.append(p + f"calibration record is stale: measured at claim version {record.get('claim_version')}, "
                            f"the claim has changed since ({hint})")
    elif record:
        ff = record.get("false_fail_rate")
        if ff is not None and not (_is_number(ff) and 0 <= ff <= 1):
            errors.append(p + f"calibration false_fail_rate must be in [0, 1], got {ff!r}")
    todo = [name for name in ("paper", "title", "statement") if "TODO" in getattr(c, name)]
    if todo:
        warnings.append(p + f"{', '.join(todo)} still contain TODO")
    return errors, warnings


def check_claim_file(path: str | Path) -> CheckResult:
    """Validate a claim file without running it (see module docstring)."""
    from ..engine.discovery import _one_line, claims_in_module, invalid_claim

    path = Path(path)
    res = CheckResult(str(path))
    if not path.is_file():
        res.errors.append("no such file")
        return res
    if path.suffix != ".py":
        res.errors.append("a claim file is a Python file (.py)")
        return res
    try:
        module = _import_fresh(path.resolve())
    except ClaimDefinitionError as exc:
        res.errors.append(invalid_claim(exc, path))
        return res
    except BaseException as exc:  # noqa: BLE001 - a user file may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        res.errors.append(_one_line(exc))
        return res
    claims = claims_in_module(module, str(path.resolve()))
    if not claims:
        res.errors.append("defines no Claim (expected a module-level `claim = Claim(...)`)")
        return res
    ids = [c.id for c in claims]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        res.errors.append(f"claim id {dup!r} is defined twice")
    for c in claims:
        try:
            c.validate()
        except ClaimDefinitionError as exc:
            res.errors.append(f"invalid claim: {exc}")
            continue
        errs, warns = check_claim_object(c)
        res.errors.extend(errs)
        res.warnings.extend(warns)
        stem = path.stem
        if not stem.startswith(c.paper_key + "_") and stem != c.paper_key:
            res.warnings.append(f"claim {c.id!r}: file name does not start with its paper key "
                                f"(expected {c.paper_key}_<name>.py)")
    res.claims = claims
    return res
