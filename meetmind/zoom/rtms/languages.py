"""Zoom's transcript language ids (RTMS_TRANSCRIPT_LANGUAGE) as BCP 47 tags."""

from __future__ import annotations

__all__ = ["LANGUAGE_TAGS", "language_tag"]

LANGUAGE_TAGS: dict[int, str] = {
    0: "ar", 1: "bn", 2: "yue", 3: "ca", 4: "zh-Hans", 5: "zh-Hant", 6: "cs", 7: "da",
    8: "nl", 9: "en", 10: "et", 11: "fi", 12: "fr-CA", 13: "fr-FR", 14: "de", 15: "he",
    16: "hi", 17: "hu", 18: "id", 19: "it", 20: "ja", 21: "ko", 22: "ms", 23: "fa",
    24: "pl", 25: "pt", 26: "ro", 27: "ru", 28: "es", 29: "sv", 30: "tl", 31: "ta",
    32: "te", 33: "th", 34: "tr", 35: "uk", 36: "vi",
}  # fmt: skip
"""Zoom language id -> BCP 47 tag."""


def language_tag(language: int | None) -> str | None:
    """The BCP 47 tag of a Zoom language id (None for none/unknown, -1 included)."""
    return None if language is None else LANGUAGE_TAGS.get(language)
