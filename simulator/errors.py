"""Errors the user can fix. They carry one message per problem, each naming the field."""

from __future__ import annotations

from collections.abc import Iterable


class InputError(ValueError):
    """Bad input (scenario file, CLI option, API argument): one readable line per problem.

    The CLI prints each line and exits with status 2; the app shows them next to the form.
    Messages name the field (``channels.voice.arrivals.rate_per_hour``) and the problem
    (``must be >= 0, got -5``).
    """

    def __init__(self, problems: str | Iterable[str]):
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
