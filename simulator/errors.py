"""Errors the user can fix. They carry one message per problem, each naming the field."""

from __future__ import annotations

from collections.abc import Iterable

MAX_PROBLEM_CHARS = 500
"""Longest problem line kept: a message quoting a huge value is cut (with a note)."""


def printable(text: str) -> str:
    """``text`` safe to print on a terminal or in a web page: control characters (terminal
    escape codes, NUL, carriage returns, bidirectional overrides) are shown as ``\\x1b``-style
    escapes instead of being obeyed."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def _line(problem: str) -> str:
    """One problem as one printable line of bounded length."""
    problem = printable(str(problem))
    if len(problem) > MAX_PROBLEM_CHARS:
        cut = len(problem) - MAX_PROBLEM_CHARS
        problem = f"{problem[:MAX_PROBLEM_CHARS]}... ({cut:,} more characters)"
    return problem


class InputError(ValueError):
    """Bad input (scenario file, CLI option, API argument): one readable line per problem.

    The CLI prints each line and exits with status 2; the app shows them next to the form.
    Messages name the field (``channels.voice.arrivals.rate_per_hour``) and the problem
    (``must be >= 0, got -5``). Every line is made printable (control characters escaped)
    and cut to :data:`MAX_PROBLEM_CHARS`, whatever value it quotes.
    """

    def __init__(self, problems: str | Iterable[str]):
        given = [problems] if isinstance(problems, str) else list(problems)
        lines = [part for problem in given for part in str(problem).split("\n")]
        self.problems: list[str] = [_line(p) for p in lines if p.strip()] or ["invalid input"]
        super().__init__("\n".join(self.problems))
