"""Linting many files on several cores.

Files are independent, so `memlint check --jobs N` hands them to N worker processes. The
largest files go first and small files travel in batches, so no worker is left with one
big file at the end while the others idle, and per-task overhead stays small. Each worker
holds one file's tree at a time. Results come back in any order; the runner puts them in
discovery order, so the output does not depend on N. Small runs (an editor's one file, a
pre-commit hook's few) stay in-process: starting workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from memlint.runner.cache import digest
from memlint.engine import lint_file
from memlint.model import READ_ERROR, Diagnostic, FileResult

# Below this many bytes of source to lint, the work is done in-process (~0.1 s of parsing,
# about what starting the workers costs).
MIN_PARALLEL_BYTES = 64_000
TASKS_PER_WORKER = 16  # small files are batched so that each worker gets about this many tasks


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # the cores this process may use
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def lint_one(path: str, settings, rules) -> Tuple[FileResult, Optional[str]]:
    """Read and lint one file: its result and the digest of the bytes linted (None if unread)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return FileResult(path, "vanished"), None  # deleted since it was found: Run.settle()
    except OSError as e:
        result = FileResult(path, "error")
        result.diagnostics.append(
            Diagnostic(path, 1, 0, READ_ERROR, f"cannot read file: {e.strerror or e}", "read-error")
        )
        return result, None
    result = lint_file(data, path, settings.rules_for(path, rules), settings.rule_options,
                       syntax_check=True)
    return result, digest(data)


_STATE: Optional[tuple] = None  # (settings, rules) in a worker process


def _init_worker(settings, rules) -> None:
    global _STATE
    _STATE = (settings, rules)


def _lint_batch(paths: Sequence[str]) -> List[Tuple[str, FileResult, Optional[str]]]:
    settings, rules = _STATE
    out = []
    for p in paths:
        result, dg = lint_one(p, settings, rules)
        out.append((p, result, dg))
    return out


def batches(paths: Sequence[str], sizes: Dict[str, int], jobs: int) -> List[List[str]]:
    """Largest first; files smaller than a share of the total are grouped up to that share."""
    order = sorted(paths, key=lambda p: -sizes.get(p, 0))
    total = sum(sizes.get(p, 0) for p in order)
    share = max(1, total // max(1, jobs * TASKS_PER_WORKER))
    out: List[List[str]] = []
    current: List[str] = []
    current_size = 0
    for p in order:
        size = sizes.get(p, 0)
        if current and current_size + size > share:
            out.append(current)
            current, current_size = [], 0
        current.append(p)
        current_size += size
    if current:
        out.append(current)
    return out


def _context():
    # fork starts workers in milliseconds with memlint and its rules already imported; it is
    # safe here because the command line is single-threaded. Elsewhere (macOS, Windows) spawn.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def lint_files(
    paths: Sequence[str],
    settings,
    rules,
    jobs: int = 1,
    sizes: Optional[Dict[str, int]] = None,
) -> Iterator[Tuple[str, FileResult, Optional[str]]]:
    """Lint `paths`, yielding (path, result, digest) in completion order."""
    paths = list(paths)
    if sizes is None:
        sizes = {}
    for p in paths:
        if p not in sizes:
            try:
                sizes[p] = os.path.getsize(p)
            except OSError:
                sizes[p] = 0
    jobs = max(1, min(jobs, len(paths)))
    if jobs == 1 or sum(sizes.get(p, 0) for p in paths) < MIN_PARALLEL_BYTES:
        for p in paths:
            result, dg = lint_one(p, settings, rules)
            yield p, result, dg
        return
    done = set()
    try:
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=_context(), initializer=_init_worker,
            initargs=(settings, rules),
        ) as pool:
            futures = [pool.submit(_lint_batch, b) for b in batches(paths, sizes, jobs)]
            for fut in futures:  # submission order: largest first, so little waiting
                for p, result, dg in fut.result():
                    done.add(p)
                    yield p, result, dg
    except BrokenProcessPool:
        # A worker died (killed for memory, say): lint what is left here, one file at a time.
        for p in paths:
            if p not in done:
                result, dg = lint_one(p, settings, rules)
                yield p, result, dg
