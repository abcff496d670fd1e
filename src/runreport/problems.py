"""Input problems: collected with their place, reported together, never fatal."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in the input, with where it is and what was expected."""

    file: str
    line: int
    run_id: str | None
    severity: str  # "error" (data was dropped or replaced) or "warning" (kept as is)
    message: str

    def __str__(self) -> str:
        run = f" (run {self.run_id!r})" if self.run_id else ""
        return f"{self.file}:{self.line}: {self.message}{run}"

    def to_json(self) -> dict:
        return asdict(self)


def sort_key(p: Problem) -> tuple:
    """Problems are listed by place so reports are stable between builds."""
    return (p.file, p.line, p.message)


def with_problems(problems: list[Problem], more: list[Problem]) -> list[Problem]:
    """`problems` (sorted) and `more` as one list, sorted by place."""
    return sorted(problems + more, key=sort_key) if more else problems
