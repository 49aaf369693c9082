"""Per-user cache folders (``XDG_CACHE_HOME``, else ``~/.cache``): model files Citewise makes once and reuses."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "citewise"


def models_cache_dir() -> Path:
    return cache_root() / "models"
