"""Finds the files to lint and lints them: the part of `memlint check` that is not printing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from memlint.cache import Cache, digest
from memlint.config import Settings
from memlint.engine import lint_source
from memlint.model import READ_ERROR, Diagnostic, FileResult
from memlint.parallel import lint_files


@dataclass
class Run:
    results: List[FileResult] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # requested paths that cannot be read
    warnings: List[str] = field(default_factory=list)

    @property
    def diagnostics(self) -> List[Diagnostic]:
        out = [d for r in self.results for d in r.diagnostics]
        out.sort(key=Diagnostic.sort_key)
        return out


def discover(paths: List[str], settings: Settings, run: Run) -> Iterator[str]:
    """Yield the Python files under `paths`, in a stable order, honouring excludes."""
    for p in paths:
        if not os.path.lexists(p):
            run.errors.append(f"{p}: no such file or directory")
            continue
        if os.path.isdir(p):
            if settings.is_excluded(p) and os.path.abspath(p) != os.getcwd():
                continue
            yield from _walk(p, settings, run)
        elif os.path.isfile(p):
            if not settings.is_excluded(p):
                yield p
        else:
            run.errors.append(f"{p}: not a regular file or directory")


def _walk(top: str, settings: Settings, run: Run) -> Iterator[str]:
    def onerror(e: OSError) -> None:
        run.warnings.append(f"{e.filename}: cannot read directory: {e.strerror}")

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if not settings.is_excluded(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            if name.endswith(".py"):
                full = os.path.join(dirpath, name)
                if os.path.isfile(full) and not settings.is_excluded(full):
                    yield full
                elif not os.path.exists(full):
                    run.warnings.append(f"{full}: broken symbolic link, skipped")


def lint_file(path: str, settings: Settings, rules=None) -> FileResult:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        result = FileResult(path, "error")
        result.diagnostics.append(
            Diagnostic(path, 1, 0, READ_ERROR, f"cannot read file: {e.strerror or e}", "read-error")
        )
        return result
    return lint_source(data, path, settings.rules_for(path, rules), settings.rule_options)


def lint_paths(paths: List[str], settings: Settings, jobs: int = 1, cache: bool = False) -> Run:
    """Lint the files under `paths`; results in discovery order, whatever `jobs` is.

    With `cache`, files whose bytes, memlint and settings are unchanged since the last run
    are not linted again (see memlint.cache); with `jobs` > 1, the others are linted by that
    many processes (see memlint.parallel).
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
