"""What every generative backend offers the Assistant, and the one error it may raise."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel

from citewise.errors import CitewiseError


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMUnavailable(CitewiseError):
    """The model could not be reached, timed out or gave nothing usable; the Assistant falls back to quotes."""


class LLMBackend(ABC):
    """Writes an answer as a stream of text pieces; loads its model once per instance."""

    @abstractmethod
    def stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        """Text pieces as they are generated; raises LLMUnavailable instead of any transport or model error."""
