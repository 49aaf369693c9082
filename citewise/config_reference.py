"""The configuration reference in README.md is generated from the settings model, so it cannot drift."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel

from citewise.settings import Settings

BEGIN = "<!-- config-reference:begin -->"
END = "<!-- config-reference:end -->"


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, f"{prefix}{name}.")
            continue
        default = "(computed)" if field.default_factory else repr(field.default)
        env = "CITEWISE_" + (prefix + name).replace(".", "__").upper()
        rows.append(f"| `{prefix}{name}` | `{env}` | `{default}` | {field.description or ''} |")
    return rows


def reference_markdown() -> str:
    header = ["| setting (TOML `[group]` key) | environment variable | default | meaning |", "|---|---|---|---|"]
    return "\n".join([BEGIN, *header, *_rows(Settings, ""), END])


def write_into(readme: Path) -> None:
    """Replace the block between the markers in ``readme`` with the current reference."""
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(head + reference_markdown() + tail, encoding="utf-8")


if __name__ == "__main__":  # python -m citewise.config_reference [README.md]
    if len(sys.argv) > 1:
        write_into(Path(sys.argv[1]))
    else:
        print(reference_markdown())
