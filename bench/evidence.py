#!/usr/bin/env python3
"""Measure what each memlint rule's advice is worth, in bytes.

For every rule code there is one scenario: a small, realistic program showing the pattern the
rule flags ("bad") and the same program written the way the rule says to ("good"). Each program
runs in a fresh interpreter, and reports its own peak resident memory above the interpreter and
its imports. Results go to:

    docs/evidence.json        one object per rule code (figures, scale, library versions)
    docs/evidence.md          the table and the chart
    docs/evidence.png         bad vs good peak memory per rule
    memlint/docs/_evidence.py      the figures as package data, quoted by `memlint rule CODE`
    docs/rules.md             regenerated, since it quotes the figures

Usage (needs `pip install -e '.[evidence]'`):

    python bench/evidence.py            # full scale, writes the files above (about 2 minutes)
    python bench/evidence.py --quick    # small-scale smoke run: prints the table, writes nothing
    python bench/evidence.py --only MEM101,MEM601 [--quick] [--output-dir DIR]

How peaks are measured: each program runs in a fresh interpreter that first imports its
libraries and warms them up (lazy imports and one-time set-up, see WARMUP), then resets the
kernel's resident-set high-water mark (`/proc/self/clear_refs`, Linux), notes its resident
size, runs the program and reports `VmHWM - resident size before the program`: the memory the
program added at its peak. (`ru_maxrss` is only the fallback elsewhere: after fork+exec it
never drops below the parent's RSS.) Where Python objects dominate, a second run under
tracemalloc gives the byte-exact peak of traced allocations too; a scenario whose difference
is below RSS granularity uses that as its figure (its row's "metric" says so). Thread pools
are limited to one thread, so peaks do not depend on the core count; `--jobs` programs (2)
run at once, a rule's flagged and fixed programs side by side.

This script never imports numpy, pandas or torch itself: the parent stays small, and the
whole run holds at most the `--jobs` largest programs at once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MIB = 1024 * 1024

sys.path.insert(0, str(ROOT))  # this checkout's memlint, installed or not
from memlint.docs.evidence import human_bytes as human  # noqa: E402
from memlint.docs.evidence import ratio_text  # noqa: E402

# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    code: str
    name: str  # the rule's name
    title: str  # what the program does, for the table
    imports: str  # executed before the measurement starts
    setup: str  # shared by both programs, measured
    bad: str  # the flagged pattern
    good: str  # the rule's "use instead"
    params: Dict[str, int]  # full scale: module-level constants the programs read
    quick: Dict[str, int]  # --quick scale
    scale: str  # describes the scale, formatted with the params
    libs: List[str]  # distributions whose versions are recorded
    data: List[str] = field(default_factory=list)  # files prepared once: events.csv, features.npy, reviews.txt
    tracemalloc: bool = False  # also measure the peak of traced allocations
    trace_params: Optional[Dict[str, int]] = None  # scale of the tracemalloc runs (slow), default params
    metric: str = "rss"  # which measurement is the row's figure: "rss" or "tracemalloc"
    compare: Optional[str] = "close"  # "close": both programs compute the same result; None: not comparable
    warmup: str = ""  # runs before the measurement, not part of the program: see WARMUP
    note: str = ""
    variants: Dict[str, str] = field(default_factory=dict)  # other "good" forms, measured and reported

    def program(self, which: str, body: Optional[str] = None) -> str:
        """The program as a user would write it (what memlint lints): imports, setup, body."""
        if body is None:
            body = self.bad if which == "bad" else self.good
        parts = [textwrap.dedent(p).strip("\n") for p in (self.imports, self.setup, body) if p.strip()]
        return "\n\n".join(parts) + "\n"


SCENARIOS: List[Scenario] = [
    Scenario(
        code="MEM101",
        name="unbounded-read",
        title="total of one column of an event log CSV",
        imports="import pandas as pd",
        setup="",
        bad="""
            events = pd.read_csv(DATA / "events.csv")
            result = float(events["amount"].sum())
        """,
        good="""
            events = pd.read_csv(DATA / "events.csv", usecols=["amount"], dtype={"amount": "float32"})
            result = float(events["amount"].sum())
        """,
        params=dict(EVENT_ROWS=2_500_000),
        quick=dict(EVENT_ROWS=500_000),
        scale="{csv_mb} MiB CSV, {EVENT_ROWS:,} rows x 8 columns",
        warmup="pandas",
        libs=["pandas", "numpy"],
        data=["events.csv"],
    ),
    Scenario(
        code="MEM102",
        name="read-whole-file",
        title="count matching lines of a text file",
        imports="",
        setup="",
        bad="""
            n_web = 0
            with open(DATA / "events.csv") as f:
                for line in f.readlines():
                    if ",WEB," in line:
                        n_web += 1
            result = n_web
        """,
        good="""
            n_web = 0
            with open(DATA / "events.csv") as f:
                for line in f:
                    if ",WEB," in line:
                        n_web += 1
            result = n_web
        """,
        params=dict(EVENT_ROWS=2_500_000),
        quick=dict(EVENT_ROWS=500_000),
        scale="{csv_mb} MiB text file, {EVENT_ROWS:,} lines",
        libs=[],
        data=["events.csv"],
    ),
    Scenario(
        code="MEM201",
        name="list-comprehension-in-reducer",
        title="squared norm of a float buffer, in Python",
        imports="import array",
        setup="""
            values = array.array("d", range(N_VALUES))
        """,
        bad="""
            result = sum([x * x for x in values])
        """,
        good="""
            result = sum(x * x for x in values)
        """,
        params=dict(N_VALUES=10_000_000),
        quick=dict(N_VALUES=300_000),
        trace_params=dict(N_VALUES=300_000),
        scale="{N_VALUES:,} floats",
        libs=[],
        tracemalloc=True,
    ),
    Scenario(
        code="MEM202",
        name="materialized-iteration",
        title="loop over row indices",
        imports="",
        setup="",
        bad="""
            checksum = 0
            for i in list(range(N_ROWS)):
                checksum += i & 0xFF
            result = checksum
        """,
        good="""
            checksum = 0
            for i in range(N_ROWS):
                checksum += i & 0xFF
            result = checksum
        """,
        params=dict(N_ROWS=10_000_000),
        quick=dict(N_ROWS=300_000),
        trace_params=dict(N_ROWS=300_000),
        scale="{N_ROWS:,} iterations",
        libs=[],
        tracemalloc=True,
    ),
    Scenario(
        code="MEM301",
        name="copy-of-fresh-object",
        title="load three columns, add a derived one",
        imports="import pandas as pd",
        setup="",
        bad="""
            orders = pd.read_csv(DATA / "events.csv", usecols=["user_id", "amount", "quantity"]).copy()
            orders["revenue"] = orders["amount"] * orders["quantity"]
            result = float(orders["revenue"].sum())
        """,
        good="""
            orders = pd.read_csv(DATA / "events.csv", usecols=["user_id", "amount", "quantity"])
            orders["revenue"] = orders["amount"] * orders["quantity"]
            result = float(orders["revenue"].sum())
        """,
        params=dict(EVENT_ROWS=2_500_000),
        quick=dict(EVENT_ROWS=500_000),
        scale="{csv_mb} MiB CSV, 3 of 8 columns, {EVENT_ROWS:,} rows",
        warmup="pandas",
        libs=["pandas", "numpy"],
        data=["events.csv"],
    ),
    Scenario(
        code="MEM302",
        name="redundant-rebind-copy",
        title="min-max scale a feature matrix loaded in a function",
        imports="import numpy as np",
        setup="",
        bad="""
            def load_scaled(path):
                features = np.load(path)
                features = features.copy()
                low, high = features.min(axis=0), features.max(axis=0)
                features -= low
                features /= high - low
                return features

            result = float(load_scaled(DATA / "features.npy")[:, :8].sum())
        """,
        good="""
            def load_scaled(path):
                features = np.load(path)
                low, high = features.min(axis=0), features.max(axis=0)
                features -= low
                features /= high - low
                return features

            result = float(load_scaled(DATA / "features.npy")[:, :8].sum())
        """,
        note=(
            "A needless copy costs its size only while it is the program's peak moment: had the"
            " function standardized with `features.std()`, which allocates a full-size temporary"
            " of its own, the copy would not have raised the peak."
        ),
        params=dict(FEATURE_ROWS=250_000),
        quick=dict(FEATURE_ROWS=25_000),
        scale="{FEATURE_ROWS:,} x 256 float32 ({features_mb} MiB)",
        libs=["numpy"],
        data=["features.npy"],
    ),
    Scenario(
        code="MEM303",
        name="copy-never-mutated",
        title="compare recent rows with a reference snapshot",
        imports="import numpy as np",
        setup="",
        bad="""
            def drift_score(path):
                features = np.load(path)
                reference = features.copy()
                drift = np.abs(features[-10_000:].mean(axis=0) - reference.mean(axis=0))
                return float(drift.max())

            result = drift_score(DATA / "features.npy")
        """,
        good="""
            def drift_score(path):
                features = np.load(path)
                reference = features
                drift = np.abs(features[-10_000:].mean(axis=0) - reference.mean(axis=0))
                return float(drift.max())

            result = drift_score(DATA / "features.npy")
        """,
        params=dict(FEATURE_ROWS=250_000),
        quick=dict(FEATURE_ROWS=25_000),
        scale="{FEATURE_ROWS:,} x 256 float32 ({features_mb} MiB)",
        libs=["numpy"],
        data=["features.npy"],
    ),
    Scenario(
        code="MEM401",
        name="implicit-float64",
        title="fill an embedding matrix batch by batch",
        imports="import numpy as np",
        setup="""
            rng = np.random.default_rng(0)
        """,
        bad="""
            embeddings = np.zeros((N_ROWS, 256))
            for start in range(0, N_ROWS, 10_000):
                batch = rng.standard_normal((min(10_000, N_ROWS - start), 256), dtype=np.float32)
                embeddings[start:start + len(batch)] = batch
            result = float(embeddings.sum(dtype=np.float64))
        """,
        good="""
            embeddings = np.zeros((N_ROWS, 256), dtype=np.float32)
            for start in range(0, N_ROWS, 10_000):
                batch = rng.standard_normal((min(10_000, N_ROWS - start), 256), dtype=np.float32)
                embeddings[start:start + len(batch)] = batch
            result = float(embeddings.sum(dtype=np.float64))
        """,
        params=dict(N_ROWS=300_000),
        quick=dict(N_ROWS=30_000),
        scale="{N_ROWS:,} x 256 matrix",
        libs=["numpy"],
    ),
    Scenario(
        code="MEM402",
        name="explicit-float64",
        title="standardize float32 features",
        imports="import numpy as np",
        setup="""
            features = np.load(DATA / "features.npy")
        """,
        bad="""
            features = features.astype(np.float64)
            features -= features.mean(axis=0)
            features /= features.std(axis=0)
            result = float(np.abs(features[:, :8]).mean())
        """,
        good="""
            features -= features.mean(axis=0)
            features /= features.std(axis=0)
            result = float(np.abs(features[:, :8]).mean())
        """,
        params=dict(FEATURE_ROWS=250_000),
        quick=dict(FEATURE_ROWS=25_000),
        scale="{FEATURE_ROWS:,} x 256 float32 ({features_mb} MiB)",
        libs=["numpy"],
        data=["features.npy"],
    ),
    Scenario(
        code="MEM501",
        name="lingering-large-object",
        title="k-means on 64 columns of a loaded matrix",
        imports="import numpy as np",
        setup="",
        bad="""
            raw = np.load(DATA / "features.npy")
            X = raw[:, :64].copy()
            squared_norms = (X * X).sum(axis=1)[:, None]
            centroids = X[:: len(X) // 64][:64].copy()
            for iteration in range(N_ITERATIONS):
                distances = squared_norms - 2 * (X @ centroids.T) + (centroids * centroids).sum(axis=1)
                labels = distances.argmin(axis=1)
                counts = np.maximum(np.bincount(labels, minlength=64), 1)
                sums = np.zeros_like(centroids)
                np.add.at(sums, labels, X)
                centroids = sums / counts[:, None]
            result = float(centroids.sum())
        """,
        good="""
            raw = np.load(DATA / "features.npy")
            X = raw[:, :64].copy()
            del raw
            squared_norms = (X * X).sum(axis=1)[:, None]
            centroids = X[:: len(X) // 64][:64].copy()
            for iteration in range(N_ITERATIONS):
                distances = squared_norms - 2 * (X @ centroids.T) + (centroids * centroids).sum(axis=1)
                labels = distances.argmin(axis=1)
                counts = np.maximum(np.bincount(labels, minlength=64), 1)
                sums = np.zeros_like(centroids)
                np.add.at(sums, labels, X)
                centroids = sums / counts[:, None]
            result = float(centroids.sum())
        """,
        params=dict(FEATURE_ROWS=250_000, N_ITERATIONS=3),
        quick=dict(FEATURE_ROWS=25_000, N_ITERATIONS=3),
        scale="{FEATURE_ROWS:,} x 256 float32 loaded ({features_mb} MiB), k=64, {N_ITERATIONS} iterations",
        libs=["numpy"],
        data=["features.npy"],
    ),
    Scenario(
        code="MEM502",
        name="method-cache",
        title="one cached summary per experiment object",
        imports="import functools\n\nimport numpy as np",
        setup="",
        bad="""
            class Experiment:
                def __init__(self, seed):
                    self.samples = np.random.default_rng(seed).standard_normal(SAMPLES, dtype=np.float32)

                @functools.lru_cache
                def summary(self):
                    return float(self.samples.mean())

            scores = []
            for seed in range(N_EXPERIMENTS):
                experiment = Experiment(seed)
                scores.append(experiment.summary())
            result = sum(scores)
        """,
        good="""
            class Experiment:
                def __init__(self, seed):
                    self.samples = np.random.default_rng(seed).standard_normal(SAMPLES, dtype=np.float32)

                @functools.cached_property
                def summary(self):
                    return float(self.samples.mean())

            scores = []
            for seed in range(N_EXPERIMENTS):
                experiment = Experiment(seed)
                scores.append(experiment.summary)
            result = sum(scores)
        """,
        params=dict(N_EXPERIMENTS=60, SAMPLES=2_000_000),
        quick=dict(N_EXPERIMENTS=20, SAMPLES=200_000),
        scale="{N_EXPERIMENTS} objects of {SAMPLES:,} float32 each",
        libs=["numpy"],
    ),
    Scenario(
        code="MEM503",
        name="unbounded-buffer",
        title="DQN-style replay buffer of 84x84 frames",
        imports="import random\nfrom collections import deque\n\nimport numpy as np",
        setup="""
            rng = np.random.default_rng(0)
            random.seed(0)


            def observe(step):
                # An agent's loop runs until the user stops it; here a Ctrl-C arrives after
                # N_STEPS steps.
                if step >= N_STEPS:
                    raise KeyboardInterrupt
                return rng.integers(0, 255, (84, 84), dtype=np.uint8)
        """,
        bad="""
            buffer = []
            obs = observe(0)
            step = 0
            try:
                while True:
                    action = int(rng.integers(4))
                    step += 1
                    next_obs = observe(step)
                    buffer.append((obs, action, 1.0, next_obs))
                    obs = next_obs
                    if step % 4 == 0 and len(buffer) >= 32:
                        batch = np.stack([t[0] for t in random.sample(buffer, 32)])
            except KeyboardInterrupt:
                pass
            result = step
        """,
        good="""
            buffer = deque(maxlen=CAPACITY)
            obs = observe(0)
            step = 0
            try:
                while True:
                    action = int(rng.integers(4))
                    step += 1
                    next_obs = observe(step)
                    buffer.append((obs, action, 1.0, next_obs))
                    obs = next_obs
                    if step % 4 == 0 and len(buffer) >= 32:
                        batch = np.stack([t[0] for t in random.sample(buffer, 32)])
            except KeyboardInterrupt:
                pass
            result = step
        """,
        params=dict(N_STEPS=30_000, CAPACITY=10_000),
        quick=dict(N_STEPS=10_000, CAPACITY=2_000),
        scale="{N_STEPS:,} steps, capacity {CAPACITY:,}",
        libs=["numpy"],
        compare=None,
        note="The fixed program keeps only the most recent transitions, as a replay buffer should.",
    ),
    Scenario(
        code="MEM601",
        name="grow-in-loop",
        title="collect encoder outputs batch by batch",
        imports="import numpy as np",
        setup="""
            rng = np.random.default_rng(0)
        """,
        bad="""
            embeddings = np.empty((0, 1024), dtype=np.float32)
            for i in range(N_BATCHES):
                batch = rng.standard_normal((1_000, 1024), dtype=np.float32)
                embeddings = np.concatenate([embeddings, batch])
            result = float(embeddings.sum(dtype=np.float64))
        """,
        good="""
            embeddings = np.empty((N_BATCHES * 1_000, 1024), dtype=np.float32)
            for i in range(N_BATCHES):
                batch = rng.standard_normal((1_000, 1024), dtype=np.float32)
                embeddings[i * 1_000:(i + 1) * 1_000] = batch
            result = float(embeddings.sum(dtype=np.float64))
        """,
        variants={
            "list + one np.concatenate": """
                parts = []
                for i in range(N_BATCHES):
                    parts.append(rng.standard_normal((1_000, 1024), dtype=np.float32))
                embeddings = np.concatenate(parts)
                result = float(embeddings.sum(dtype=np.float64))
            """,
        },
        params=dict(N_BATCHES=50),
        quick=dict(N_BATCHES=10),
        scale="{N_BATCHES} batches of 1,000 x 1024 float32",
        libs=["numpy"],
        note=(
            "Collecting the batches in a list and concatenating once has the same peak as growing"
            " (all parts plus the result, against the last old array plus the new one): it saves"
            " the quadratic copying, not memory. Preallocating, when the total is known, halves"
            " the peak."
        ),
    ),
    Scenario(
        code="MEM602",
        name="sparse-to-dense",
        title="naive Bayes on TF-IDF features of reviews",
        imports=(
            "from sklearn.feature_extraction.text import TfidfVectorizer\n"
            "from sklearn.naive_bayes import MultinomialNB"
        ),
        setup="""
            docs = (DATA / "reviews.txt").read_text().splitlines()
            labels = [int(doc.startswith("good")) for doc in docs]
        """,
        bad="""
            vectorizer = TfidfVectorizer(max_features=8_000)
            X = vectorizer.fit_transform(docs).toarray()
            model = MultinomialNB().fit(X, labels)
            result = float(model.score(X, labels))
        """,
        good="""
            vectorizer = TfidfVectorizer(max_features=8_000)
            X = vectorizer.fit_transform(docs)
            model = MultinomialNB().fit(X, labels)
            result = float(model.score(X, labels))
        """,
        params=dict(N_DOCS=10_000),
        quick=dict(N_DOCS=2_000),
        scale="{N_DOCS:,} documents x 8,000 terms",
        warmup="sklearn",
        libs=["scikit-learn", "scipy", "numpy"],
        data=["reviews.txt"],
    ),
    Scenario(
        code="MEM603",
        name="per-row-prediction",
        title="predict a class for every row of a table",
        imports="import numpy as np\nfrom sklearn.linear_model import LogisticRegression",
        setup="""
            rng = np.random.default_rng(0)
            X = rng.standard_normal((N_ROWS, 16), dtype=np.float32)
            y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
            model = LogisticRegression().fit(X[:500], y[:500])
        """,
        bad="""
            predictions = []
            for i in range(len(X)):
                predictions.append(model.predict(X[i:i + 1])[0])
            predictions = np.array(predictions)
            result = int(predictions.sum())
        """,
        good="""
            predictions = model.predict(X)
            result = int(predictions.sum())
        """,
        params=dict(N_ROWS=5_000),
        quick=dict(N_ROWS=1_000),
        scale="{N_ROWS:,} rows, logistic regression",
        warmup="sklearn",
        libs=["scikit-learn", "numpy"],
        tracemalloc=True,
        metric="tracemalloc",
        note=(
            "Per-row prediction costs mostly time: every call validates its input (see the CPU"
            " time column). Its memory cost, one numpy scalar object per row instead of one array, is"
            " small next to the table itself and below RSS granularity at a scale that runs in"
            " seconds, so the figure is tracemalloc's, which sees every numpy and Python"
            " allocation."
        ),
    ),
    Scenario(
        code="MEM701",
        name="inference-without-no-grad",
        title="batch inference with a small MLP",
        imports="import torch\nfrom torch import nn",
        setup="""
            torch.manual_seed(0)
            model = nn.Sequential(nn.Linear(128, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
            inputs = torch.randn(N_BATCHES, 256, 128)
        """,
        bad="""
            model.eval()
            outputs = []
            for xb in inputs:
                outputs.append(model(xb))
            predictions = torch.cat(outputs).argmax(dim=1)
            result = int(predictions.sum())
        """,
        good="""
            model.eval()
            outputs = []
            with torch.no_grad():
                for xb in inputs:
                    outputs.append(model(xb))
            predictions = torch.cat(outputs).argmax(dim=1)
            result = int(predictions.sum())
        """,
        params=dict(N_BATCHES=200),
        quick=dict(N_BATCHES=40),
        scale="{N_BATCHES} batches of 256 rows, MLP 128-512-512-10",
        warmup="torch",
        libs=["torch"],
    ),
    Scenario(
        code="MEM702",
        name="graph-retaining-accumulation",
        title="training loop that tracks its running loss",
        imports="import torch\nfrom torch import nn",
        setup="""
            torch.manual_seed(0)
            model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
            loss_fn = nn.CrossEntropyLoss()
            inputs = torch.randn(N_STEPS, 64, 32)
            targets = torch.randint(0, 10, (N_STEPS, 64))
        """,
        bad="""
            total_loss = 0.0
            for xb, yb in zip(inputs, targets):
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                total_loss += loss
            result = float(total_loss.detach()) / N_STEPS
        """,
        good="""
            total_loss = 0.0
            for xb, yb in zip(inputs, targets):
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                total_loss += loss.item()
            result = total_loss / N_STEPS
        """,
        variants={
            "bad, validation loop (no backward)": """
                total_loss = 0.0
                for xb, yb in zip(inputs, targets):
                    total_loss += loss_fn(model(xb), yb)
                result = float(total_loss.detach()) / N_STEPS
            """,
        },
        params=dict(N_STEPS=2_000),
        quick=dict(N_STEPS=300),
        scale="{N_STEPS:,} steps of 64 rows, MLP 32-64-64-10",
        warmup="torch",
        libs=["torch"],
        note=(
            "After backward() the graph's saved activations are freed, so in a training loop the"
            " accumulated history costs about ten kilobytes a step (the graph's nodes, whatever"
            " the batch size): small per step, but it grows for as long as the loop runs. In a loop"
            " without backward() (a validation loop) every step's activations stay alive too:"
            " see the variant."
        ),
    ),
]

# --------------------------------------------------------------------------------------------
# Data, generated on the fly
# --------------------------------------------------------------------------------------------

PREPARE = r'''
import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
which = set(sys.argv[2].split(","))
rows, feature_rows, n_docs = (int(x) for x in sys.argv[3:6])
rng = np.random.default_rng(0)


def digits(values, width):
    """Fixed-width ASCII digits of non-negative integers: an (n, width) uint8 array."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


if "events.csv" in which:
    # event_id,user_id,timestamp,country,channel,amount,quantity,session -- 69 bytes a line.
    # Built as bytes with numpy: fast, and the values are as varied as a real event log.
    countries = np.frombuffer(b"USDEFRGBINBRJPCNESITNLSEPLCAMXAUKRTRARZA", dtype=np.uint8).reshape(-1, 2)
    channels = np.frombuffer(b"WEBAPPPOSAPITEL", dtype=np.uint8).reshape(-1, 3)
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    with open(out / "events.csv", "wb") as f:
        f.write(b"event_id,user_id,timestamp,country,channel,amount,quantity,session\n")
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            seconds = rng.integers(0, 365 * 86400, n)
            day = np.datetime64("2024-01-01") + (seconds // 86400).astype("timedelta64[D]")
            month_start = day.astype("datetime64[M]")
            month = month_start.astype(np.int64) % 12 + 1
            dom = (day - month_start.astype("datetime64[D]")).astype(np.int64) + 1
            sod = seconds % 86400
            session = rng.integers(0, 2**62, n)
            cols = [
                digits(np.arange(start, start + n) + 10_000_000, 8), b",",
                digits(rng.integers(100_000, 1_000_000, n), 6), b",2024-",
                digits(month, 2), b"-", digits(dom, 2), b" ",
                digits(sod // 3600, 2), b":", digits(sod // 60 % 60, 2), b":", digits(sod % 60, 2), b",",
                countries[rng.integers(0, len(countries), n)], b",",
                channels[rng.integers(0, len(channels), n)], b",",
                digits(rng.integers(100, 1000, n), 3), b".", digits(rng.integers(0, 100, n), 2), b",",
                digits(rng.integers(1, 10, n), 1), b",",
                hexdigits[(session[:, None] >> (4 * np.arange(15, -1, -1))) & 15], b"\n",
            ]
            block = np.concatenate(
                [c if isinstance(c, np.ndarray) else np.frombuffer(c, np.uint8)[None, :].repeat(n, 0) for c in cols],
                axis=1,
            )
            f.write(block.tobytes())

if "features.npy" in which:
    np.save(out / "features.npy", rng.standard_normal((feature_rows, 256), dtype=np.float32))

if "reviews.txt" in which:
    # Product reviews of 40 to 200 words over a Zipf-distributed vocabulary of 30,000 words;
    # half start with "good", and those lean on a different part of the vocabulary.
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    vocab = [bytes(letters[rng.integers(0, 26, 3 + i % 7)]).decode() for i in range(30_000)]
    lines = []
    for d in range(n_docs):
        good = d % 2 == 0
        length = int(rng.integers(40, 200))
        ranks = np.minimum(rng.zipf(1.2, length), 15_000) - 1 + (15_000 if good else 0) * (rng.random(length) < 0.3)
        lines.append(("good " if good else "poor ") + " ".join(vocab[r] for r in ranks))
    (out / "reviews.txt").write_text("\n".join(lines) + "\n")
'''

# --------------------------------------------------------------------------------------------
# The measuring harness around each program
# --------------------------------------------------------------------------------------------

HEAD = r'''
import json as _json, os as _os, resource as _resource, sys as _sys, time as _time
from pathlib import Path

DATA = Path(_sys.argv[1])
_OUT, _TRACE = _sys.argv[2], _sys.argv[3] == "1"
{params}


def _status(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _maxrss():
    r = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
    return r if _sys.platform == "darwin" else r * 1024


def _ev_start():
    hwm0 = _status("VmHWM")
    reset = False
    try:  # Linux: reset the high-water mark so that imports' transient peaks do not count
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        pass
    rss = _status("VmRSS")
    _ev.update(reset=reset, rss0=rss if rss is not None else _maxrss(), imports_hwm=hwm0)
    if _TRACE:
        import tracemalloc
        tracemalloc.start()
    _ev["t0"] = _time.perf_counter()
    _ev["cpu0"] = _time.process_time()


def _ev_stop(result):
    seconds = _time.perf_counter() - _ev["t0"]
    cpu = _time.process_time() - _ev["cpu0"]
    traced = None
    if _TRACE:
        import tracemalloc
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # VmHWM, not ru_maxrss: after fork+exec, ru_maxrss never drops below the parent's RSS.
    hwm = _status("VmHWM")
    peak = hwm if hwm is not None else _maxrss()
    if isinstance(result, float) or type(result).__name__.startswith("float"):
        result = float(result)
    elif result is not None:
        result = int(result)
    with open(_OUT, "w") as f:
        _json.dump(dict(peak=max(peak, _ev["imports_hwm"] or 0), rss0=_ev["rss0"], net=max(0, peak - _ev["rss0"]),
                        reset=_ev["reset"],
                        traced=traced, seconds=seconds, cpu=cpu, result=result), f)


_ev = {{}}
'''


# Library code that runs once on first use (lazy imports, kernel and thread-pool set-up) is
# part of the libraries' cost, like the imports, not of the program being measured: torch
# imports some 70 MB of modules the first time an optimizer is built. Each warm-up touches
# the same library entry points once, on tiny inputs, before the measurement starts.
WARMUP = {
    "pandas": """
import io as _io
pd.read_csv(_io.StringIO("a,b\\n1,x\\n"))
""",
    "sklearn": """
import numpy as _np
from sklearn.feature_extraction.text import TfidfVectorizer as _Tfidf
from sklearn.linear_model import LogisticRegression as _LR
from sklearn.naive_bayes import MultinomialNB as _NB
_X = _Tfidf().fit_transform(["ab bc", "bc cd", "cd de", "de ab"])
_NB().fit(_X, [0, 0, 1, 1]).score(_X.toarray(), [0, 0, 1, 1])
_LR().fit(_np.arange(8.0).reshape(4, 2), [0, 0, 1, 1]).predict(_np.zeros((1, 2)))
del _X
""",
    "torch": """
_m = nn.Linear(4, 4)
_o = torch.optim.SGD(_m.parameters(), lr=0.1)
nn.CrossEntropyLoss()(_m(torch.zeros(2, 4)), torch.zeros(2, dtype=torch.long)).backward()
_o.step()
with torch.no_grad():
    _m(torch.zeros(2, 4))
del _m, _o
""",
}


def child_source(s: Scenario, body: str, params: Dict[str, int]) -> str:
    consts = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    return "\n".join([
        HEAD.format(params=consts),
        textwrap.dedent(s.imports).strip("\n"),
        WARMUP[s.warmup] if s.warmup else "",
        "_ev_start()",
        textwrap.dedent(s.setup).strip("\n"),
        textwrap.dedent(body).strip("\n"),
        '_ev_stop(globals().get("result"))',
        "",
    ])


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONTRACEMALLOC", None)
    return env


def run_child(source: str, data: Path, work: Path, label: str, trace: bool) -> dict:
    script = work / f"{label}.py"
    out = work / f"{label}.json"
    script.write_text(source)
    proc = subprocess.run(
        [sys.executable, str(script), str(data), str(out), "1" if trace else "0"],
        capture_output=True, text=True, env=child_env(), timeout=600,
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"{label} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


# --------------------------------------------------------------------------------------------
# Running and reporting
# --------------------------------------------------------------------------------------------


def versions(libs: List[str]) -> Dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in libs:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def measure(s: Scenario, params: Dict[str, int], data: Path, work: Path, sizes: Dict[str, str],
            quick: bool, jobs: int) -> dict:
    by_trace = s.metric == "tracemalloc"
    trace_params = params if quick or not s.trace_params else s.trace_params
    # label -> (body, traced?, scale). Under tracemalloc, RSS includes tracemalloc's own
    # bookkeeping, so a tracemalloc-metric scenario reports no RSS figures.
    plan = {"bad": (s.bad, by_trace, params), "good": (s.good, by_trace, params)}
    if s.tracemalloc and not by_trace:
        plan.update({"bad-trace": (s.bad, True, trace_params), "good-trace": (s.good, True, trace_params)})
    for i, body in enumerate(s.variants.values()):
        plan[f"variant{i}"] = (body, by_trace, params)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            label: pool.submit(run_child, child_source(s, body, scale), data, work, f"{s.code}-{label}", trace)
            for label, (body, trace, scale) in plan.items()
        }
        res = {label: f.result() for label, f in futures.items()}
    key = "traced" if by_trace else "net"
    bad, good = res["bad"][key], res["good"][key]
    traced = {w: res[w if by_trace else w + "-trace"]["traced"] for w in ("bad", "good")} if (
        by_trace or s.tracemalloc) else {"bad": None, "good": None}
    same = None
    if s.compare == "close":
        a, b = res["bad"]["result"], res["good"]["result"]
        same = a == b or (a is not None and b is not None and abs(a - b) <= 1e-3 * max(abs(a), abs(b), 1e-9))
    rss = (lambda w, k: None) if by_trace else (lambda w, k: res[w][k])
    return dict(
        code=s.code,
        name=s.name,
        title=s.title,
        bad_peak_bytes=bad,
        good_peak_bytes=good,
        ratio=round(bad / good, 2) if good else None,
        metric=s.metric,
        bad_rss_peak_bytes=rss("bad", "net"),
        good_rss_peak_bytes=rss("good", "net"),
        bad_abs_peak_bytes=rss("bad", "peak"),
        good_abs_peak_bytes=rss("good", "peak"),
        baseline_bytes=res["bad"]["rss0"],
        bad_tracemalloc_peak_bytes=traced["bad"],
        good_tracemalloc_peak_bytes=traced["good"],
        tracemalloc_scale=s.scale.format(**trace_params, **sizes) if traced["bad"] is not None else None,
        bad_seconds=round(res["bad"]["seconds"], 2),
        good_seconds=round(res["good"]["seconds"], 2),
        bad_cpu_seconds=round(res["bad"]["cpu"], 2),
        good_cpu_seconds=round(res["good"]["cpu"], 2),
        same_result=same,
        scale=s.scale.format(**params, **sizes),
        scale_params=dict(params),
        quick=quick,
        hwm_reset=res["bad"]["reset"] and res["good"]["reset"],
        variants=[
            dict(form=form, peak_bytes=res[f"variant{i}"][key], seconds=round(res[f"variant{i}"]["seconds"], 2))
            for i, form in enumerate(s.variants)
        ],
        note=s.note,
        versions=versions(s.libs),
        bad_program=s.program("bad"),
        good_program=s.program("good"),
        # not written to the files: what the processes held at once, for the run's statistics
        _concurrent_bytes=sum(sorted((r["peak"] for r in res.values()), reverse=True)[:jobs]),
    )


def prepare(data: Path, scenarios: List[Scenario], scale: Dict[str, int]) -> Dict[str, str]:
    which = sorted({d for s in scenarios for d in s.data})
    if which:
        subprocess.run(
            [sys.executable, "-c", PREPARE, str(data), ",".join(which), str(scale.get("EVENT_ROWS", 1)),
             str(scale.get("FEATURE_ROWS", 1)), str(scale.get("N_DOCS", 1))],
            check=True, env=child_env(),
        )
    sizes = {}
    for name, key in (("events.csv", "csv_mb"), ("features.npy", "features_mb")):
        p = data / name
        sizes[key] = f"{p.stat().st_size / MIB:.0f}" if p.exists() else "?"
    return sizes


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_all(scenarios: List[Scenario], quick: bool, jobs: int = 2, log=print) -> tuple:
    """Measure every scenario; returns (rows, run statistics)."""
    scale: Dict[str, int] = {}
    for s in scenarios:
        scale.update(s.quick if quick else s.params)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="memlint-evidence-") as tmp:
        data, work = Path(tmp) / "data", Path(tmp) / "work"
        data.mkdir()
        work.mkdir()
        log(f"generating data in {data} ...")
        sizes = prepare(data, scenarios, scale)
        log(f"  ({time.perf_counter() - started:.1f}s)")
        rows, concurrent = [], 0
        for s in scenarios:
            t = time.perf_counter()
            cpu = _children_cpu()
            row = measure(s, s.quick if quick else s.params, data, work, sizes, quick, jobs)
            concurrent = max(concurrent, row.pop("_concurrent_bytes"))
            rows.append(row)
            flag = "" if row["bad_peak_bytes"] > row["good_peak_bytes"] else "   <-- good form NOT smaller"
            bad, good = row["bad_peak_bytes"], row["good_peak_bytes"]
            log(f"{s.code}  bad {human(bad):>9}  good {human(good):>9}  {ratio_text(bad, good):>6}"
                f"  ({time.perf_counter() - t:.1f}s wall, {_children_cpu() - cpu:.1f}s CPU){flag}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = dict(
        wall_seconds=round(time.perf_counter() - started, 1),
        children_cpu_seconds=round(children.ru_utime + children.ru_stime, 1),
        # ru_maxrss of children: the largest child's, an upper bound (it includes what a child
        # inherited from this process at fork).
        largest_process_peak_bytes=children.ru_maxrss * 1024,
        jobs=jobs,
        # the children that ran at once, plus this process
        peak_at_once_bytes=concurrent + resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    )
    return rows, stats


# --------------------------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------------------------


def write_chart(rows: List[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    floor = 0.1  # MiB: the axis starts here; smaller peaks are drawn at it
    rows = list(reversed(rows))  # first rule at the top
    labels = [f"{r['code']} {r['name']}" for r in rows]
    bad = [max(r["bad_peak_bytes"] / MIB, floor) for r in rows]
    good = [max(r["good_peak_bytes"] / MIB, floor) for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(rows) + 1.8), dpi=110)
    y = range(len(rows))
    h = 0.4
    ax.barh([i + h / 2 for i in y], bad, height=h, color="#d1495b", label="flagged pattern")
    ax.barh([i - h / 2 for i in y], good, height=h, color="#2e86ab", label="use instead")
    ax.set_xscale("log")
    ax.set_xlim(floor, max(bad) * 5)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g} MiB" if v < 1024 else f"{v / 1024:g} GiB"))
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=9)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("peak memory above the interpreter and its imports (log scale)")
    ax.set_title("Peak memory of each rule's flagged pattern and of its fix", fontsize=11)
    for i, r in enumerate(rows):
        star = "*" if r["metric"] == "tracemalloc" else ""
        ratio = ratio_text(r["bad_peak_bytes"], r["good_peak_bytes"])
        ax.text(bad[i] * 1.1, i + h / 2, f"{human(r['bad_peak_bytes'])}{star}  ({ratio})", va="center", fontsize=7.5)
        ax.text(good[i] * 1.1, i - h / 2, f"{human(r['good_peak_bytes'])}{star}", va="center", fontsize=7.5)
    ax.grid(axis="x", which="major", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize=9, frameon=False)
    fig.text(0.01, 0.01, "* tracemalloc peak (the difference is below RSS granularity);"
             " others: resident-set high-water mark. Generated by bench/evidence.py.", fontsize=7, color="#555")
    fig.tight_layout(rect=(0, 0.025, 1, 1))
    fig.savefig(path)
    plt.close(fig)


def markdown(rows: List[dict], stats: dict) -> str:
    lines = [
        "# Measured evidence",
        "",
        "<!-- Generated by `python bench/evidence.py`; do not edit. -->",
        "",
        "For every rule, a small realistic program showing the flagged pattern and the same program",
        "written as the rule's *Use instead* suggests, each run in a fresh interpreter. The figure is",
        "the peak resident memory the program added above the interpreter and its imports (the",
        "kernel's high-water mark, reset after the imports). Where a difference is below RSS",
        "granularity, the figure is tracemalloc's peak of traced allocations (marked *). The",
        "programs are in [`bench/evidence.py`](../bench/evidence.py) and in",
        "[`evidence.json`](evidence.json), with every measurement and the library versions.",
        "",
        "![peak memory, flagged pattern vs use instead](evidence.png)",
        "",
        "| rule | program | flagged | use instead | ratio | scale | CPU time, flagged / fix |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in rows:
        star = "*" if r["metric"] == "tracemalloc" else ""
        lines.append(
            f"| {r['code']} {r['name']} | {r['title']} | {human(r['bad_peak_bytes'])}{star} |"
            f" {human(r['good_peak_bytes'])}{star} | {ratio_text(r['bad_peak_bytes'], r['good_peak_bytes'])} |"
            f" {r['scale']} | {r['bad_cpu_seconds']:.1f} s / {r['good_cpu_seconds']:.1f} s |"
        )
    notes = [r for r in rows if r["note"] or r["variants"]]
    if notes:
        lines += ["", "## Notes", ""]
        for r in notes:
            text = r["note"]
            for v in r["variants"]:
                text += f" Variant *{v['form']}*: {human(v['peak_bytes'])}."
            lines.append(f"- **{r['code']}**: {text.strip()}")
    traced = [r for r in rows if r["bad_tracemalloc_peak_bytes"] is not None and r["metric"] == "rss"]
    if traced:
        lines += ["", "tracemalloc, where Python objects dominate, agrees: "
                  + "; ".join(f"{r['code']} {human(r['bad_tracemalloc_peak_bytes'])} vs"
                              f" {human(r['good_tracemalloc_peak_bytes'])} at {r['tracemalloc_scale']}"
                              for r in traced) + " (a smaller scale: tracemalloc slows allocation-heavy code)."]
    v = {}
    for r in rows:
        v.update(r["versions"])
    lines += [
        "",
        "## How it was run",
        "",
        f"`python bench/evidence.py` on {platform.system()} {platform.machine()},"
        f" {os.cpu_count()} CPUs, thread pools limited to one thread, {stats['jobs']} programs at a time:"
        f" {stats['wall_seconds']:.0f} s wall, {stats['children_cpu_seconds']:.0f} s CPU; largest process"
        f" {human(stats['largest_process_peak_bytes'])}, at most {human(stats['peak_at_once_bytes'])} at once."
        f" The table's CPU times are the programs' own, imports excluded."
        + (f" This run measured only {stats['only']}; the other rows are from an earlier run."
           if stats.get("only") else ""),
        "Versions: " + ", ".join(f"{k} {val}" for k, val in sorted(v.items())) + ".",
        "",
        "To regenerate (also rewrites the figures `memlint rule CODE` quotes and `docs/rules.md`):",
        "",
        "```sh",
        "pip install -e '.[evidence]' && python bench/evidence.py",
        "```",
        "",
    ]
    return "\n".join(lines)


def write_outputs(rows: List[dict], stats: dict, out: Path, package: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "evidence.json").write_text(json.dumps(rows, indent=2) + "\n")
    write_chart(rows, out / "evidence.png")
    (out / "evidence.md").write_text(markdown(rows, stats))
    if package:
        from memlint import docs
        from memlint.docs import evidence

        evidence.write_package_data(rows)
        docs.write_rules_markdown()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small scale; writes nothing unless --output-dir")
    parser.add_argument("--only", help="comma-separated rule codes; the other rows are kept from the existing file")
    parser.add_argument("--output-dir", type=Path, help="where to write evidence.{json,md,png} (default: docs/)")
    parser.add_argument("--jobs", type=int, default=2, help="programs run at once (default 2: a bad/good pair)")
    args = parser.parse_args(argv)

    scenarios = SCENARIOS
    if args.only:
        wanted = {c.strip().upper() for c in args.only.split(",")}
        unknown = wanted - {s.code for s in SCENARIOS}
        if unknown:
            parser.error(f"no scenario for {', '.join(sorted(unknown))}")
        scenarios = [s for s in SCENARIOS if s.code in wanted]
    rows, stats = run_all(scenarios, args.quick, max(1, args.jobs))
    stats["only"] = ", ".join(s.code for s in scenarios) if args.only else ""
    print(f"whole run: {stats['wall_seconds']} s wall, {stats['children_cpu_seconds']} s CPU,"
          f" largest process {human(stats['largest_process_peak_bytes'])},"
          f" at most {human(stats['peak_at_once_bytes'])} at once ({stats['jobs']} jobs)")
    failed = [r["code"] for r in rows if not r["bad_peak_bytes"] > r["good_peak_bytes"]]
    differ = [r["code"] for r in rows if r["same_result"] is False]
    if failed:
        print(f"the good form does NOT use less memory for: {', '.join(failed)}", file=sys.stderr)
    if differ:
        print(f"bad and good programs compute different results for: {', '.join(differ)}", file=sys.stderr)

    if args.quick and args.output_dir is None:
        return 1 if failed or differ else 0
    out = args.output_dir or DOCS
    if args.only and (out / "evidence.json").exists():
        kept = {r["code"]: r for r in json.loads((out / "evidence.json").read_text())}
        kept.update({r["code"]: r for r in rows})
        rows = [kept[c] for c in sorted(kept)]
    write_outputs(rows, stats, out, package=out.resolve() == DOCS.resolve() and not args.quick)
    print(f"wrote {out / 'evidence.json'}, evidence.md, evidence.png")
    return 1 if failed or differ else 0


if __name__ == "__main__":
    sys.exit(main())
