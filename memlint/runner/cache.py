"""Results of earlier runs, so a file that has not changed is not parsed again.

One JSON file per configuration in `.memlint_cache/` under the project root (the folder of
the pyproject.toml the settings came from, else the working directory). Its name is a hash of
everything a file's findings depend on besides the file itself: memlint's version and its own
source files, the Python and libcst versions, the selected rules, their options and the
per-file ignores. Inside, each file is keyed by its absolute path and the hash of its bytes,
so any edit, or any change of memlint or of the settings, is a miss.

The cache is safe to delete at any time. It is JSON (never pickle: loading it cannot run
code), written to a temporary file and renamed into place, so a crash or a concurrent run
never leaves a half-written file; a missing, unreadable or corrupt file is just a cold
start. Standard input is never cached, nor results with an internal error.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import secrets
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from memlint import __version__
from memlint.model import INTERNAL_ERROR, Diagnostic, FileResult

CACHE_DIR = ".memlint_cache"
FORMAT = 2  # 2: a diagnostic's cell
KEEP_CONFIGURATIONS = 8  # cache files (one per configuration) kept; older ones are removed


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _code_fingerprint() -> List[list]:
    """memlint's own modules, by name, size and modification time.

    The version alone does not change while memlint is developed (or patched in place);
    a rule edited in an editable install must not be served stale results.
    """
    root = Path(__file__).resolve().parents[1]  # the memlint package
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                full = os.path.join(dirpath, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                out.append([os.path.relpath(full, root), st.st_size, st.st_mtime_ns])
    return out


def _libcst_version() -> str:
    try:
        from importlib.metadata import version

        return version("libcst")
    except Exception:  # pragma: no cover - metadata missing
        return "unknown"


def fingerprint(settings, rules: Sequence) -> str:
    """A hash of everything besides a file's bytes that its findings depend on."""
    payload = {
        "format": FORMAT,
        "memlint": __version__,
        "code": _code_fingerprint(),
        "python": list(sys.version_info[:3]) + [sys.implementation.name],
        "libcst": _libcst_version(),
        "rules": [r.code for r in rules],
        "options": settings.rule_options,
        "per_file_ignores": settings.per_file_ignores,
        "root": str(settings.root) if settings.root is not None else None,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def cache_root(settings) -> Path:
    base = settings.root if settings.root is not None else Path.cwd()
    return Path(base) / CACHE_DIR


class Cache:
    """Per-file results of one configuration. `get`/`put` by path and content digest."""

    def __init__(self, directory: Path, key: str):
        self.directory = Path(directory)
        self.file = self.directory / f"{key}.json"
        self._entries: Dict[str, list] = {}
        self._seen: set = set()
        self._dirty = False
        self._load()

    @classmethod
    def for_settings(cls, settings, rules: Sequence) -> "Cache":
        return cls(cache_root(settings), fingerprint(settings, rules))

    def _load(self) -> None:
        try:
            with open(self.file, "rb") as f:
                data = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError):
            return  # no cache yet, or a corrupt one: start cold
        if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("files"), dict):
            self._entries = data["files"]

    @staticmethod
    def _key(path: str) -> str:
        return os.path.abspath(path)

    def get(self, path: str, content_digest: str) -> Optional[FileResult]:
        key = self._key(path)
        self._seen.add(key)
        entry = self._entries.get(key)
        try:
            if not entry or entry[0] != content_digest:
                return None
            _, status, diags = entry
            result = FileResult(path, status)
            result.diagnostics = [
                Diagnostic(path, int(d[0]), int(d[1]), str(d[2]), str(d[3]), str(d[4]), int(d[5]), int(d[6]),
                           int(d[7]))
                for d in diags
            ]
            return result
        except (TypeError, ValueError, IndexError):  # a damaged entry: lint the file again
            self._entries.pop(key, None)
            self._dirty = True
            return None

    def put(self, path: str, content_digest: str, result: FileResult) -> None:
        if any(d.code == INTERNAL_ERROR for d in result.diagnostics):
            return  # a bug of memlint's own: report it again next time
        key = self._key(path)
        self._seen.add(key)
        self._entries[key] = [
            content_digest,
            result.status,
            [[d.line, d.col, d.code, d.message, d.name, d.end_line, d.end_col, d.cell]
             for d in result.diagnostics],
        ]
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically; forget files that no longer exist. Never raises."""
        try:
            for key in [k for k in self._entries if k not in self._seen]:
                if not os.path.exists(key):
                    del self._entries[key]
                    self._dirty = True
            if not self._dirty:
                return
            self.directory.mkdir(parents=True, exist_ok=True)
            _mark_directory(self.directory)
            data = json.dumps({"format": FORMAT, "files": self._entries}, separators=(",", ":"))
            tmp = str(self.directory / f".tmp-{os.getpid()}-{secrets.token_hex(4)}.json")
            # os.open with 0o666 lets the umask decide the mode, as for any file the user makes.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(data)
                os.replace(tmp, self.file)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            self._dirty = False
            _prune(self.directory, keep=self.file)
        except (OSError, ValueError):
            pass  # a read-only or full disk: linting still worked, the cache is only an aid


def _mark_directory(directory: Path) -> None:
    """Keep the cache out of version control and backups, as pytest and ruff do."""
    for name, text in (
        (".gitignore", "# Created by memlint automatically.\n*\n"),
        ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                         "# This file is a cache directory tag created by memlint.\n"),
    ):
        p = directory / name
        if not p.exists():
            p.write_text(text, encoding="utf-8")


def _prune(directory: Path, keep: Path) -> None:
    files = []
    for p in directory.glob("*.json"):
        try:
            files.append((p.stat().st_mtime, p))
        except OSError:
            continue
    files.sort(reverse=True)
    for _, p in files[KEEP_CONFIGURATIONS:]:
        if p != keep:
            try:
                p.unlink()
            except OSError:
                pass
    for p in directory.glob(".tmp-*.json"):  # left behind by a killed run
        try:
            if p.stat().st_mtime < keep.stat().st_mtime - 3600:
                p.unlink()
        except OSError:
            pass
