"""The configuration reference in README.md is generated from the settings model, so it cannot drift."""

from __future__ import annotations

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


if __name__ == "__main__":
    print(reference_markdown())
