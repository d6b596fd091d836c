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
