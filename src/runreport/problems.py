"""Input problems: collected with their place, reported together, never fatal."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in the input, with where it is and what was expected."""

    file: str
    line: int
    run_id: str | None
    severity: str  # "error" (data was dropped or replaced) or "warning" (kept as is)
    message: str
    # The entry a step record's problem is about, when the record names one (the Problems
    # page links to it); not part of `summary --json`, whose problems site.md fixes.
    entry_id: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        run = f" (run {self.run_id!r})" if self.run_id else ""
        return f"{self.file}:{self.line}: {self.message}{run}"

    def to_json(self) -> dict:
        return asdict(self)

    def summary_json(self) -> dict:
        """The problem as `summary --json` prints it."""
        return {"file": self.file, "line": self.line, "run_id": self.run_id,
                "severity": self.severity, "message": self.message}


def sort_key(p: Problem) -> tuple:
    """Problems are listed by place so reports are stable between builds."""
    return (p.file, p.line, p.message)


def with_problems(problems: list[Problem], more: list[Problem]) -> list[Problem]:
    """`problems` (sorted) and `more` as one list, sorted by place."""
    return sorted(problems + more, key=sort_key) if more else problems
