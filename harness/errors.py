"""Errors the user can fix. The CLI prints them as one line and exits with code 2."""


class UsageError(Exception):
    """Bad input from the user: a case field, a CLI argument, a plugin, a file."""


class CaseError(UsageError):
    """A `Case` field is invalid; names the field and what is allowed."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"case field '{field}': {message}")
