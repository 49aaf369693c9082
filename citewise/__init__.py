"""Citewise: cited, checked answers from research-paper abstracts.

``from citewise import Assistant, ask`` is the Python API; the heavy parts load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from citewise.version import __version__  # noqa: F401 - the package face
__all__ = ["Assistant", "ask", "Settings", "load_settings", "CitewiseError"]

if TYPE_CHECKING:
    from citewise.app.assistant import Assistant, ask
    from citewise.errors import CitewiseError
    from citewise.settings import Settings, load_settings


def __getattr__(name: str) -> Any:
    if name in {"Assistant", "ask"}:
        from citewise.app import assistant

        return getattr(assistant, name)
    if name in {"Settings", "load_settings"}:
        from citewise import settings

        return getattr(settings, name)
    if name == "CitewiseError":
        from citewise.errors import CitewiseError

        return CitewiseError
    raise AttributeError(name)
