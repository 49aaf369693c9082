"""Small text helpers shared by the readers: markdown emphasis, code links, stable ids."""

from __future__ import annotations

import re

from citewise.records import sha256_hex

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_URL = re.compile(r"(?:https?://|(?<![\w/.])(?:github\.com|gitlab\.com|huggingface\.co)/)[^\s<>\"')\]]+")


def strip_emphasis(text: str) -> str:
    """Scraped listings keep markdown emphasis (**PARO**, *reorganizing*); quotes must not."""
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))


def find_code_urls(text: str) -> list[str]:
    urls: list[str] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:")
        if not url.startswith("http"):
            url = "https://" + url
        if url not in urls:
            urls.append(url)
    return urls


def paper_id_from_title(title: str) -> str:
    """Readable and stable: the name before the colon, slugged, plus a short hash of the whole title."""
    head = title.split(":", 1)[0] if ":" in title[:60] else " ".join(title.split()[:4])
    slug = re.sub(r"[^a-z0-9]+", "-", head.lower()).strip("-")[:40] or "paper"
    normalized = " ".join(title.lower().split())
    return f"{slug}-{sha256_hex(normalized)[:8]}"
