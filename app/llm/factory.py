"""Backend names (as in ``answer.backend`` / ``--backend``) to backend instances."""

from __future__ import annotations

from citewise.app.llm.base import LLMBackend
from citewise.errors import CitewiseError
from citewise.settings import LLMSettings


def make_backend(name: str, settings: LLMSettings) -> LLMBackend:
    """Imports lazily: the extractive path never loads llama.cpp or the openai client."""
    if name == "local":
        from citewise.app.llm.local import LocalBackend

        return LocalBackend(settings)
    if name == "openai":
        from citewise.app.llm.openai_compat import OpenAIBackend

        return OpenAIBackend(settings)
    raise CitewiseError(f"Unknown generative backend '{name}'; use local or openai.")
