"""User-facing failures: one line that says what went wrong and what to do."""


class CitewiseError(Exception):
    """An error whose message is shown to the user as-is, on one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
