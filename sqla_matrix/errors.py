"""Errors that reach the user as one line, never as a traceback."""


class MatrixError(Exception):
    """Bad input or an unusable backend: the message says what is wrong and what to do."""


class BackendNotRun(Exception):
    """A backend that is simply absent (no URL, no Docker): reported as *not run*."""

    def __init__(self, reason: str, remedy: str) -> None:
        super().__init__(f"{reason}; {remedy}")
        self.reason = reason
        self.remedy = remedy


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message``, the way errors are shown in the report."""
    text = str(exc).strip().splitlines()
    first = text[0].strip() if text else ""
    name = type(exc).__name__
    return f"{name}: {first}" if first else name
