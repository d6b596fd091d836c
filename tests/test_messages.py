"""What findings say, read from the real `memlint check` process: receivers named as written,
values named by where they come from, line references a reader can find."""

from __future__ import annotations

import json
import re

from tests.helpers import memlint_command, run


def messages(tmp_path, source: str, name: str = "x.py", *args) -> list:
    (tmp_path / name).write_text(source)
    r = run(memlint_command() + ["check", "--select", "ALL", "--no-cache", "--output-format",
                                 "json", "-q", *args, name], cwd=tmp_path)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return [(d["code"], d["message"]) for d in json.loads(r.stdout)]


def test_receivers_are_named_as_written_never_elided(tmp_path):
    got = messages(tmp_path, (
        "from sklearn.feature_extraction.text import TfidfVectorizer\n"
        "import pandas as pd\n"
        "for line in open('words.txt').readlines():\n"
        "    print(line)\n"
        "with open('p') as f:\n"
        "    for line in f.readlines():\n"
        "        print(line)\n"
        "vec = TfidfVectorizer()\n"
        "X = vec.fit_transform(pd.read_csv('big.csv')['a_rather_long_column_name']).toarray()\n"
        "Y = TfidfVectorizer().fit_transform(docs).toarray()\n"
        "print(X, Y)\n"))
    text = " | ".join(m for _, m in got)
    assert "...." not in text, text
    assert "`open('words.txt').readlines()` reads the whole file" in text
    assert "`f.readlines()` reads the whole file" in text
    assert "this `.toarray()` densifies a sparse matrix" in text  # the receiver is long
    assert "`TfidfVectorizer().fit_transform(docs).toarray()` densifies" in text


LINGERING = (
    "import pandas as pd\n"                     # 1
    "raw = pd.read_csv('train.csv')\n"          # 2
    "X = raw.copy()\n"                          # 3
    "feats = X[['a']].to_numpy()\n"             # 4
    "df = pd.read_csv('big.csv').copy()\n"      # 5
    "print(df.head(), feats)\n"                 # 6
    "for epoch in range(100):\n"                # 7
    "    model.train_epoch(feats)\n"            # 8
)


def test_mem501_says_what_the_object_is(tmp_path):
    got = dict((m.split(" ")[0], m) for c, m in messages(tmp_path, LINGERING) if c == "MEM501")
    assert "computed from a large one" not in " ".join(got.values())
    assert got["raw"].startswith("raw (the frame read by `pd.read_csv()`) is not used after line 3")
    assert got["X"].startswith("X (a copy of `raw`, the frame read by `pd.read_csv()` at line 2) "
                               "is not used after line 4 but stays alive during the loop at line 7")
    assert got["df"].startswith("df (a copy of the frame read by `pd.read_csv()`) ")


def _notebook(cells) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                   "execution_count": None} for c in cells],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    })


def test_line_numbers_in_notebook_messages_count_within_their_cell(tmp_path):
    cells = ["import pandas as pd\n",
             "# read\nraw = pd.read_csv('train.csv')\nX = raw.copy()\n",
             "feats = X[['a']].to_numpy()\nprint(feats)\n",
             "for epoch in range(100):\n    model.train_epoch(feats)\n"]
    (tmp_path / "n.ipynb").write_text(_notebook(cells))
    r = run(memlint_command() + ["check", "--select", "MEM501,MEM503", "--no-cache", "n.ipynb"],
            cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[1] == (
        "n.ipynb:cell 2:3:1: MEM501 X (a copy of `raw`, the frame read by `pd.read_csv()` at "
        "cell 2, line 2) is not used after cell 3, line 1 but stays alive during the loop at "
        "cell 4, line 1; add `del X` after cell 3, line 1"), lines
    assert not re.search(r"line (?:[5-9]|\d\d)", r.stdout)  # no line of the module of cells


def test_mem503_line_numbers_in_a_notebook(tmp_path):
    cells = ["import itertools\nbuf = []\n",
             "for step in itertools.count():\n    buf.append(step)\n    work(step)\n"]
    got = messages(tmp_path, _notebook(cells), "n.ipynb")
    mem503 = [m for c, m in got if c == "MEM503"]
    assert mem503 and "(.append() at cell 2, line 2) inside the loop at cell 2, line 1" in mem503[0]
