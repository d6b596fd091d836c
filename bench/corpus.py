"""The benchmark corpus: pinned releases of real ML and data-science libraries, fetched with pip.

Pure-Python projects come as sdists; compiled ones (and the two whose sdists cannot even
report their metadata without their build tooling) as wheels, which carry their Python
sources. Every archive is checked against its recorded sha256, so every run of the benchmark
on any machine lints the very same files. Only the `.py` files are kept, under
`bench/.corpus/src/<project>-<version>/`, minus test suites (`tests/`, `test/`: memlint is
aimed at library and application code, and leaving them out keeps one benchmark round near twenty
minutes on two cores) and anything either tool excludes by default, so that memlint and
flake8 lint exactly the same files.

    python bench/corpus.py            # fetch (once) and print the corpus summary
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import List, NamedTuple

HERE = Path(__file__).resolve().parent
CORPUS = HERE / ".corpus"
DIST = CORPUS / "dist"
SRC = CORPUS / "src"


class Release(NamedTuple):
    project: str
    version: str
    kind: str  # "sdist" | "wheel"
    sha256: str


RELEASES = [
    Release("scikit-learn", "1.5.2", "wheel", "f8b0ccd4a902836493e026c03256e8b206656f91fbcc4fde28c57a5b752561f1"),
    Release("pandas", "2.2.3", "wheel", "c124333816c3a9b03fbeef3a9f230ba9a737e9e5bb4060aa2107a86cc0a497fc"),
    Release("statsmodels", "0.14.4", "wheel", "e332c2d9b806083d1797231280602340c5c913f90d4caa0213a6a54679ce9331"),
    Release("seaborn", "0.13.2", "sdist", "93e60a40988f4d65e9f4885df477e2fdaff6b73a9ded434c1ab356dd57eefff7"),
    Release("imbalanced-learn", "0.12.4", "sdist", "8153ba385d296b07d97e0901a2624a86c06b48c94c2f92da3a5354827697b7a3"),
    Release("mlxtend", "0.23.1", "sdist", "9f3075e3deac57f4452fee2c1f0befda58a24c1f9c26bed649a2303ca04baa29"),
    Release("fastai", "2.7.18", "wheel", "6bf89b9f7ea7318ce8c1334a7d7a63b4551703fa0f09e3f74fcee89e0769446d"),
    Release("pytorch-lightning", "2.4.0", "wheel", "9ac7935229ac022ef06994c928217ed37f525ac6700f7d4fc57009624570e655"),
    Release("featuretools", "1.31.0", "sdist", "01bfb17fcc1715b4c3623c7bc94a8982122c4a0fa03350ed478601bb81f90155"),
    Release("d2l", "1.0.3", "sdist", "b69964354f8150d1ae02166d1eccd622c61f330bf61a23bae614be4fb59ce3be"),
]

# Wheels are fetched for one fixed platform, whatever machine runs the benchmark, so that the
# compiled projects' Python sources are the same everywhere.
WHEEL_TAGS = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11",
              "--implementation", "cp", "--abi", "cp311"]

# Folder names left out: test suites, and what memlint or flake8 skip by default.
SKIPPED_DIRS = {
    "tests", "test", ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env",
    "__pycache__", "build", "dist", "site-packages", "node_modules", ".eggs", "CVS", ".bzr",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".memlint_cache", ".ipynb_checkpoints",
}


def _skipped(parts) -> bool:
    return any(p in SKIPPED_DIRS or p.endswith((".egg-info", ".egg")) for p in parts)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _archive(release: Release, python: str) -> Path:
    """The downloaded archive of `release`, fetched with pip if it is not there yet."""
    DIST.mkdir(parents=True, exist_ok=True)
    for p in DIST.iterdir():
        if p.is_file() and _sha256_cached(p) == release.sha256:
            return p
    spec = f"{release.project}=={release.version}"
    cmd = [python, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(DIST), spec]
    if release.kind == "sdist":
        cmd += ["--no-binary", ":all:"]
    else:
        cmd += ["--only-binary", ":all:"] + WHEEL_TAGS
    print(f"  fetching {spec} ({release.kind}) ...", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)
    for p in DIST.iterdir():
        if p.is_file() and _sha256_cached(p, refresh=True) == release.sha256:
            return p
    raise SystemExit(f"bench: {spec}: the downloaded {release.kind} does not match the recorded sha256")


_HASHES: dict = {}


def _sha256_cached(path: Path, refresh: bool = False) -> str:
    key = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
    if refresh or key not in _HASHES:
        _HASHES[key] = _sha256(path)
    return _HASHES[key]


def _extract(archive: Path, dest: Path) -> int:
    """Copy the archive's .py files (outside skipped folders) under `dest`; return the count."""
    count = 0
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                parts = name.split("/")
                if not name.endswith(".py") or _skipped(parts[:-1]) or ".." in parts:
                    continue
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))
                count += 1
    else:
        with tarfile.open(archive) as t:
            for member in t.getmembers():
                parts = member.name.split("/")[1:]  # drop the project-version/ prefix
                if (not member.isfile() or not member.name.endswith(".py") or not parts
                        or _skipped(parts[:-1]) or ".." in parts):
                    continue
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(t.extractfile(member).read())
                count += 1
    return count


def ensure(python: str = sys.executable) -> List[Path]:
    """Fetch (with `python -m pip`) and extract the corpus if needed; return its files, sorted."""
    stamp = SRC / ".complete.json"
    wanted = [r._asdict() for r in RELEASES]
    current = None
    if stamp.exists():
        try:
            current = json.loads(stamp.read_text())
        except ValueError:
            current = None
    if current != wanted:
        print("bench: preparing the corpus (once; cached in bench/.corpus/)", file=sys.stderr)
        if SRC.exists():
            shutil.rmtree(SRC)
        for release in RELEASES:
            archive = _archive(release, python)
            n = _extract(archive, SRC / f"{release.project}-{release.version}")
            print(f"  {release.project} {release.version}: {n} files", file=sys.stderr)
        stamp.write_text(json.dumps(wanted))
    return files_under(SRC)


def files_under(root: Path) -> List[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".py"):
                out.append(Path(dirpath) / name)
    return out


def summary(paths: List[Path], root: Path = SRC) -> dict:
    per = {}
    total_bytes = total_lines = 0
    for p in paths:
        data = p.read_bytes()
        project = p.relative_to(root).parts[0]
        n_lines = data.count(b"\n")
        entry = per.setdefault(project, {"files": 0, "lines": 0, "bytes": 0})
        entry["files"] += 1
        entry["lines"] += n_lines
        entry["bytes"] += len(data)
        total_bytes += len(data)
        total_lines += n_lines
    largest = max(paths, key=lambda p: p.stat().st_size)
    return {
        "files": len(paths),
        "lines": total_lines,
        "bytes": total_bytes,
        "largest_file": {"path": str(largest.relative_to(root)), "bytes": largest.stat().st_size},
        "projects": per,
    }


if __name__ == "__main__":
    print(json.dumps(summary(ensure()), indent=2))
