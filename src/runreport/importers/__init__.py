"""Importers: other engines' exports turned into run-log records (pure functions).

Each module takes parsed documents (with where each came from) and returns
the records of the run-log format (docs/format.md) and the problems it met,
naming the file and line. `runreport import FORMAT` writes the records as
JSON Lines; the site, `summary` and `validate` then read them as any log.
"""
