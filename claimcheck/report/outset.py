"""An output folder replaced as one set: a run's files (results.json, junit.xml,
summary.md, the HTML report, its claims' figures and logs) are written into a sibling
staging folder, then swapped in with one atomic rename.

A kill at any moment therefore leaves ``OUT`` holding either the previous complete set
or the new complete set, never the new results.json beside the previous run's HTML
(measured before this module: 9 of 14 kills during output writing left such a mix).

``OUT`` stays a plain folder (not a symlink): CI artefact uploaders, ``cp -r`` and
``file://`` links treat it like any other. On Linux the swap is ``renameat2`` with
``RENAME_EXCHANGE`` (both folders exist before and after: no instant without ``OUT``);
elsewhere, or on a file system without it, the old folder is renamed aside and the new
one into place, and :func:`recover` (run under the lock by the next command) puts the
aside folder back if a kill fell between the two renames.

The lock that keeps two commands from writing one ``OUT`` is a sibling file
(:func:`lock_path`), not a file inside ``OUT``: a lock held on a file inside a folder
that is swapped away would no longer guard the folder now at that path.
"""
from __future__ import annotations

import ctypes
import errno
import os
import shutil
import uuid
from pathlib import Path

_STAGE, _ASIDE = ".new-", ".old-"
SET_NAMES = frozenset({"results.json", "junit.xml", "summary.md", "index.html", "claims", "data", "artefacts",
                       "logs"})
"""What an output set holds at its top level. Anything else in ``OUT`` is not ours: the swap
would delete it, so a folder holding it is refused (:func:`check_replaceable`)."""


_SET_FILES = {"claims": {".html"}, "data": {".csv", ".json"}, "logs": {".log"}}   # what those folders hold


class NotAnOutputFolder(OSError):
    """``OUT`` holds files that are not an output set's (``--out .`` in a project, a store
    inside ``OUT``): replacing the folder would delete them."""


def check_replaceable(out: Path, store: Path | None = None) -> None:
    """Raise :class:`NotAnOutputFolder` (one line) unless ``out`` is absent, empty or an
    output set, and ``store`` (the results database) lies outside it. Asked before anything
    is measured, and again just before the swap."""
    out = Path(out).absolute()
    if store is not None:
        st, real = Path(store).resolve(), out.resolve()      # ".." and links as the file system sees them
        if st == real or real in st.parents:
            raise NotAnOutputFolder(errno.EEXIST, f"the store {store} is inside the output folder {out}, which "
                                    f"every run replaces as a whole: put the store elsewhere (default "
                                    f"reports/claimcheck.sqlite beside reports/latest)", str(out))
    if out.exists() and not out.is_dir():
        raise NotAnOutputFolder(errno.ENOTDIR, f"the output folder {out} is a file", str(out))
    foreign = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir()
                     if p.name not in SET_NAMES) if out.is_dir() else []
    for sub, suffixes in _SET_FILES.items():       # e.g. claim files in a project's claims/
        folder = out / sub
        if folder.is_dir():
            foreign += sorted(f"{sub}/{p.name}" for p in folder.iterdir() if p.suffix not in suffixes)
        elif folder.exists():
            foreign.append(sub)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise NotAnOutputFolder(errno.ENOTEMPTY, f"the output folder {out} holds files that are not claimcheck "
                                f"outputs ({shown}); every run replaces the folder as a whole, so they would be "
                                f"deleted: give --out a new or empty folder", str(out))


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def lock_path(out: Path) -> Path:
    """The lock file of output folder ``out``: beside it, so it survives the swaps."""
    out = Path(out).absolute()
    return out.parent / f".{out.name}.claimcheck.lock"


def _prefix(out: Path, kind: str) -> str:
    return f".{out.name}{kind}"


def _exchange(a: Path, b: Path) -> bool:
    """Swap folders ``a`` and ``b`` atomically (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False     # the file system cannot exchange: rename aside instead
    raise OSError(err, os.strerror(err), str(b))


def recover(out: Path) -> None:
    """Under the lock, before writing: put back a set a kill left renamed aside (only
    possible without RENAME_EXCHANGE), and remove staging folders of killed commands."""
    out = Path(out).absolute()
    parent = out.parent
    if not parent.is_dir():
        return
    aside = sorted(p for p in parent.iterdir() if p.name.startswith(_prefix(out, _ASIDE)))
    if aside and not out.exists():
        os.rename(aside.pop(), out)
    for p in parent.iterdir():
        if p.name.startswith(_prefix(out, _STAGE)) or p in aside:
            shutil.rmtree(p, ignore_errors=True)


class OutputSet:
    """A staging folder beside ``out``; :meth:`commit` swaps it in, :meth:`discard`
    removes it. Write every file of the set under :attr:`stage`."""

    def __init__(self, out: Path):
        self.out = Path(out).absolute()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.stage = self.out.parent / (_prefix(self.out, _STAGE) + uuid.uuid4().hex[:12])
        self.stage.mkdir()

    def carry(self, relative_paths) -> list[str]:
        """Copy files of the current set (figures, logs of claims this command did not
        remake) into the new one; returns those that were there."""
        carried = []
        for rel in relative_paths:
            src, dst = self.out / rel, self.stage / rel
            if src.is_file() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(src, dst)          # the old set is removed after the swap: no copy needed
                except OSError:
                    shutil.copy2(src, dst)
                carried.append(str(rel))
        return carried

    def commit(self) -> Path:
        """Make the staged set ``out`` in one step and remove the previous set (refused, as an
        OSError, if ``out`` has come to hold anything that is not an output set's)."""
        check_replaceable(self.out)
        _fsync_tree(self.stage)
        if not self.out.exists():
            os.rename(self.stage, self.out)
        elif _exchange(self.stage, self.out):
            shutil.rmtree(self.stage, ignore_errors=True)   # now the previous set
        else:
            aside = self.out.parent / (_prefix(self.out, _ASIDE) + uuid.uuid4().hex[:12])
            os.rename(self.out, aside)
            os.rename(self.stage, self.out)
            shutil.rmtree(aside, ignore_errors=True)
        _fsync_dir(self.out.parent)
        return self.out

    def discard(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    """Data on disk before the rename makes it visible (a crash must not show empty files)."""
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                fd = os.open(os.path.join(root, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
