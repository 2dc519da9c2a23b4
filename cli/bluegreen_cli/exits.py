"""Exit codes, and the one function that maps an error to one (every command, `sim` included).

0 success; 1 a step failed, or Azure/Kubernetes answered with an error; 2 bad
input (playbook, arguments); 3 refused (stale plan, lock held, guard);
130 interrupted.
"""

from __future__ import annotations

from bluegreen.errors import PlaybookError, RefusedError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
EXIT_INTERRUPTED = 130


# Raised only by what reads input (a file that is not UTF-8, nesting past Python's stack, a number past
# what a date or a float can hold): wherever one escapes the loaders' own checks, it is still bad input.
INPUT_ERRORS: tuple[type[BaseException], ...] = (UnicodeError, RecursionError, OverflowError)


def exit_code_for(exc: BaseException) -> int:
    """The README's "Exit codes" table, as code."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, (PlaybookError, *INPUT_ERRORS)):
        return EXIT_BAD_INPUT
    if isinstance(exc, RefusedError):
        return EXIT_REFUSED
    return EXIT_FAILED
