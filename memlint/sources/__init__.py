"""Sources: what turns a file on disk into code to lint (Python files, notebooks)."""
