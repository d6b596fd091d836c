"""Linting many files: finding them (`files`), the results cache (`cache`), the process pool
(`parallel`). The CLI uses it; the plugins lint one file at a time through the engine."""
