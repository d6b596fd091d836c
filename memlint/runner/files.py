"""Finds the files to lint and lints them: the part of `memlint check` that is not printing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator, List, Set

from memlint.runner.cache import Cache, digest
from memlint.config import Settings
from memlint.model import READ_ERROR, Diagnostic, FileResult
from memlint.runner.parallel import lint_files


@dataclass
class Run:
    results: List[FileResult] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # requested paths that cannot be read
    warnings: List[str] = field(default_factory=list)
    requested: Set[str] = field(default_factory=set)  # files named on the command line
    empty: List[str] = field(default_factory=list)  # folders named that held nothing to lint

    @property
    def diagnostics(self) -> List[Diagnostic]:
        out = [d for r in self.results for d in r.diagnostics]
        out.sort(key=Diagnostic.sort_key)
        return out

    def settle(self) -> None:
        """Files that vanished become warnings; a requested file that cannot be read, an error."""
        kept = []
        for r in self.results:
            if r.status == "vanished":
                if r.path in self.requested:
                    self.errors.append(f"{r.path}: vanished before it could be read")
                else:
                    self.warnings.append(f"{r.path}: vanished while linting, skipped")
                continue
            if r.status == "error" and r.path in self.requested:
                for d in r.diagnostics:
                    if d.code == READ_ERROR:
                        self.errors.append(f"{r.path}: {d.message}")
            kept.append(r)
        self.results = kept


def display_path(path: str) -> str:
    """`path` as every output format prints it: relative to the working directory without a
    leading `./` when it is under it (`./src/x.py`, `src/./x.py` and `$PWD/src/x.py` are all
    `src/x.py`, as ruff prints them), else as given.

    The shorter name must be the same file: a `..` after a symbolic link to a folder does not
    go back where it came from, so a path whose real location the rewrite would change is
    kept as given.
    """
    try:
        cwd = os.getcwd()
        absolute = os.path.normpath(os.path.join(cwd, path))
        if absolute != cwd and not absolute.startswith(cwd.rstrip(os.sep) + os.sep):
            return path
        short = os.path.relpath(absolute, cwd)
        if short != path and os.path.realpath(short) != os.path.realpath(path):
            return path
    except (OSError, ValueError):  # a cwd that is gone, a path with a NUL byte
        return path
    return short


def _join(folder: str, name: str) -> str:
    return name if folder == os.curdir else os.path.join(folder, name)


def discover(paths: List[str], settings: Settings, run: Run) -> Iterator[str]:
    """Yield the files under `paths` that `include` names (Python files and notebooks), in a stable order, honouring excludes.

    A path given explicitly that does not exist or cannot be read is an error (exit 2);
    what a directory walk meets (unreadable folders, broken links) is a warning. Paths are
    yielded as `display_path` names them, each file once (`src src/x.py` lints x.py once).
    """
    seen: Set[str] = set()
    for f in _discover(paths, settings, run):
        if f not in seen:
            seen.add(f)
            yield f


def _discover(paths: List[str], settings: Settings, run: Run) -> Iterator[str]:
    for p in paths:
        if not os.path.lexists(p):
            run.errors.append(f"{p}: no such file or directory")
            continue
        p = display_path(p)
        if os.path.isdir(p):
            if settings.is_excluded(p) and os.path.abspath(p) != os.getcwd():
                run.warnings.append(f"{p} is excluded (exclude, extend-exclude): nothing linted under it")
                run.empty.append(p)
                continue
            errors, found = len(run.errors), 0
            for f in _walk(p, settings, run):
                found += 1
                yield f
            if not found and len(run.errors) == errors:  # (an unreadable folder is its error)
                run.warnings.append(f"no Python files or notebooks found under {p}")
                run.empty.append(p)
        elif os.path.isfile(p):
            if settings.is_excluded(p):
                continue
            run.requested.add(p)
            yield p
        elif os.path.islink(p) and not os.path.exists(p):
            run.errors.append(f"{p}: broken symbolic link")
        else:
            run.errors.append(f"{p}: not a regular file or directory")


def _walk(top: str, settings: Settings, run: Run) -> Iterator[str]:
    """Depth-first, sorted, without following links to folders; iterative, so that no depth
    of folders can exhaust the recursion limit (os.walk recurses before Python 3.12)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            message = f"{folder}: cannot read directory: {e.strerror or e}"
            (run.errors if folder == top else run.warnings).append(message)
            continue
        subfolders = []
        for entry in entries:
            full = _join(folder, entry.name)
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not settings.is_excluded(full):
                        subfolders.append(full)
                elif not settings.is_included(entry.name):
                    continue
                elif entry.is_file():  # follows a link to a file
                    if not settings.is_excluded(full):
                        yield full
                elif entry.is_symlink() and not os.path.exists(full):
                    run.warnings.append(f"{full}: broken symbolic link, skipped")
                # else a link to a folder, a FIFO, a socket or a device: never opened
            except OSError as e:  # gone or unreadable since the folder was listed
                run.warnings.append(f"{full}: {e.strerror or e}, skipped")
        # Sorted, depth first: files of a folder, then its subfolders in name order.
        stack.extend(reversed(subfolders))


def lint_paths(paths: List[str], settings: Settings, jobs: int = 1, cache: bool = False) -> Run:
    """Lint the files under `paths`; results in discovery order, whatever `jobs` is.

    With `cache`, files whose bytes, memlint and settings are unchanged since the last run
    are not linted again (see memlint.runner.cache); with `jobs` > 1, the others are linted by that
    many processes (see memlint.runner.parallel).
    """
    run = Run()
    rules = settings.rules()
    files = list(discover(paths, settings, run))
    results = {}
    store = Cache.for_settings(settings, rules) if cache else None
    todo: List[str] = []
    sizes = {}
    for path in files:
        if store is not None:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                todo.append(path)  # linting it reports the read error
                continue
            hit = store.get(path, digest(data))
            sizes[path] = len(data)
            del data
            if hit is not None:
                results[path] = hit
                continue
        todo.append(path)
    for path, result, content_digest in lint_files(todo, settings, rules, jobs, sizes):
        results[path] = result
        if store is not None and content_digest is not None:
            store.put(path, content_digest, result)
    if store is not None:
        store.save()
    run.results = [results[p] for p in files]
    return run
