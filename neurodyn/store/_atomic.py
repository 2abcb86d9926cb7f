"""Atomic replacement of a store directory, and clean-up of what crashed writes leave behind.

A store is written into a temporary sibling directory ``.<name>.tmp-<uuid>`` in the same parent
as the target, then moved into place with a single ``rename``-family system call, so that at
every moment the target path holds either the complete old store or the complete new one:

* target absent: ``rename(tmp, target)`` (``renameat2(RENAME_NOREPLACE)`` when the caller must
  not replace anything), atomic.
* target present, Linux: ``renameat2(tmp, target, RENAME_EXCHANGE)`` swaps the two directories
  atomically; the old store then sits at the temporary name and is removed.
* target present, ``RENAME_EXCHANGE`` unavailable (not Linux, old kernel or glibc, a file system
  without support): the old store is renamed aside to ``.<name>.old-<uuid>`` and the new one
  renamed into place. Between these two renames (microseconds) the target path does not exist; a
  crash exactly there leaves the old store complete at ``.<name>.old-<uuid>``, and the next write
  to the same target renames it back before it does anything else.

Every writer holds an exclusive ``flock`` on its temporary directory (and, in the fallback, on the
directory it moves aside) for as long as it uses it. A leftover whose lock can be taken belongs to
a writer that died; :func:`cleanup_leftovers` removes it (or, for a moved-aside old store whose
target is missing, restores it). Where the file system does not support ``flock`` (some cluster
file systems), a leftover counts as abandoned once it is older than :data:`STALE_AFTER_S`.
Leftovers are hidden siblings, never inside a store, so readers never see them.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

try:  # POSIX only; without it leftovers are judged by age alone.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "STALE_AFTER_S",
    "cleanup_leftovers",
    "exchange",
    "fsync_tree",
    "is_leftover",
    "leftovers",
    "locked_temp_dir",
    "replace_dir",
]

#: Age after which a leftover counts as abandoned where ``flock`` is unavailable.
STALE_AFTER_S = 3600.0

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}

_TMP = "tmp"
_OLD = "old"


def _sibling_name(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{uuid.uuid4().hex}"


def is_leftover(name: str, target_name: str | None = None) -> bool:
    """Whether a directory entry name is a temporary or moved-aside sibling of a store.

    With ``target_name``, only siblings of that store count.
    """
    if not name.startswith("."):
        return False
    stem, sep, tail = name[1:].rpartition(".")
    if not sep or (target_name is not None and stem != target_name):
        return False
    kind, dash, hexid = tail.partition("-")
    return kind in (_TMP, _OLD) and dash == "-" and len(hexid) == 32


def leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """The temporary and moved-aside siblings of ``target`` that exist now."""
    target = Path(target)
    try:
        names = os.listdir(target.parent)
    except FileNotFoundError:
        return []
    return sorted(target.parent / n for n in names if is_leftover(n, target.name))


# --------------------------------------------------------------------------- locks


def _open_dir(path: Path) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def _try_lock(fd: int) -> bool | None:
    """Take an exclusive lock without waiting: True, False (held elsewhere), None (unsupported)."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        return None
    return True


@contextlib.contextmanager
def _holding_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on directory ``path`` (best effort) while the block runs."""
    fd = _open_dir(path)
    try:
        _try_lock(fd)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked_temp_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Create an empty, locked temporary sibling ``.<name>.tmp-<uuid>`` of ``target``.

    The lock is held until the block ends; the directory is removed on exit unless it has been
    moved away (renamed into place) in the meantime, including when the block raises.
    """
    target = Path(target)
    tmp = _sibling_name(target, _TMP)
    tmp.mkdir()
    try:
        with _holding_lock(tmp):
            yield tmp
    finally:
        _rmtree(tmp)


def _rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _is_abandoned(path: Path) -> tuple[bool, int | None]:
    """Whether nobody is using leftover ``path``; returns the locked descriptor if locked."""
    try:
        fd = _open_dir(path)
    except FileNotFoundError:
        return False, None
    except OSError:  # not a directory: nobody can hold it
        return True, None
    locked = _try_lock(fd)
    if locked:
        return True, fd
    os.close(fd)
    if locked is False:
        return False, None
    try:
        return time.time() - path.stat().st_mtime > STALE_AFTER_S, None
    except FileNotFoundError:
        return False, None


def cleanup_leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """Remove abandoned temporary siblings of ``target``; restore an abandoned moved-aside store.

    A sibling in use by a live writer (its lock is held) is left alone. If ``target`` does not
    exist and an abandoned ``.<name>.old-<uuid>`` does, it is the previous store caught between
    the two renames of the fallback swap: it is renamed back to ``target`` rather than deleted.
    Returns the paths removed or restored.
    """
    target = Path(target)
    handled = []
    for path in leftovers(target):
        abandoned, fd = _is_abandoned(path)
        if not abandoned:
            continue
        try:
            kind = path.name.rpartition(".")[2].partition("-")[0]
            if kind == _OLD and not os.path.lexists(target):
                try:
                    os.rename(path, target)
                except OSError:
                    continue  # never delete the only copy of a store
                handled.append(path)
                continue
            _rmtree(path)
            handled.append(path)
        finally:
            if fd is not None:
                os.close(fd)
    return handled


# --------------------------------------------------------------------------- renames


@cache
def _renameat2() -> Any:
    """libc's ``renameat2`` as a ctypes function, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None
    func = getattr(libc, "renameat2", None)
    if func is None:
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


def _call_renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2`` relative to the working directory; False if the kernel/fs lacks ``flags``."""
    func = _renameat2()
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(src), None, str(dst))


def exchange(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> bool:
    """Swap two existing paths atomically with ``renameat2(RENAME_EXCHANGE)``.

    Returns False (and changes nothing) where that is not supported; raises :class:`OSError` for
    any other failure.
    """
    return _call_renameat2(Path(src), Path(dst), _RENAME_EXCHANGE)


def _rename_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, failing with :class:`FileExistsError` if ``dst`` exists."""
    if _call_renameat2(src, dst, _RENAME_NOREPLACE):
        return
    if os.path.lexists(dst):  # fallback: tiny check-then-rename race
        raise FileExistsError(errno.EEXIST, "target exists", str(dst))
    os.rename(src, dst)


def fsync_tree(path: str | os.PathLike[str]) -> None:
    """Flush every file under ``path`` to disk, then every directory (before the final rename).

    Flushes run in a few threads at once: the file system batches concurrent ``fsync`` calls into
    fewer journal commits, which is several times faster than one by one.
    """
    files, dirs = [], []
    for root, _dirs, names in os.walk(path):
        dirs.append(Path(root))
        files.extend(os.path.join(root, name) for name in names)
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(files)))) as pool:
        list(pool.map(_fsync_file, files))
        list(pool.map(_fsync_dir, dirs))


def _fsync_file(name: str) -> None:
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = _open_dir(path)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_dir(
    tmp: str | os.PathLike[str], target: str | os.PathLike[str], *, overwrite: bool = True
) -> None:
    """Move the complete directory ``tmp`` to ``target`` so that ``target`` is never half-made.

    If ``target`` exists it is replaced (``overwrite=True``) or :class:`FileExistsError` is
    raised. See the module docstring for the system calls used and the one fallback window.
    On failure the old ``target`` is left (or put back) in place and ``tmp`` still exists.
    """
    tmp, target = Path(tmp), Path(target)
    if not os.path.lexists(target):
        try:
            _rename_noreplace(tmp, target)
        except FileExistsError:
            if not overwrite:
                raise
            # Appeared meanwhile: replace it like any existing target below.
        else:
            _fsync_dir(target.parent)
            return
    if not overwrite:
        raise FileExistsError(errno.EEXIST, "store exists and overwrite=False", str(target))

    if exchange(tmp, target):
        # tmp now holds the old store; its removal is best effort (a leftover is cleaned later).
        _fsync_dir(target.parent)
        _rmtree(tmp)
        return

    aside = _sibling_name(target, _OLD)
    with _holding_lock(target):
        os.rename(target, aside)
        # --- the target path does not exist between these two renames ---
        try:
            os.rename(tmp, target)
        except BaseException:
            os.rename(aside, target)
            raise
        _fsync_dir(target.parent)
    _rmtree(aside)
