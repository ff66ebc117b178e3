"""Every text the platform makes for a person, in zh-CN and en, by a stable key: one catalogue.

``shared/texts.json`` holds ``key → {"en": ..., "zh-CN": ...}``. An error names its key
(``reason`` in the error body) with the parameters its text needs; a note the platform
writes into a case's timeline is stored as its key and parameters, not as a sentence.
Either is rendered when someone reads it, in their language — here for API answers,
and by the web app from the same file (``web/src/texts.js`` imports it), so the app
never shows the server's English inside a Chinese sentence.

``{name}`` is replaced by the parameter ``name``. A parameter whose value is a word with
an entry of its own, ``term.<name>.<value>`` (a rung named ``overdue``), is replaced by
that entry's text in the language. A language may leave a parameter out (the Chinese
text for a wrong state names no English status word).
"""

import json
import re
from pathlib import Path

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
CATALOGUE: dict[str, dict[str, str]] = json.loads((Path(__file__).with_name("texts.json")).read_text("utf-8"))
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def language_of(language: str | None) -> str:
    """One of ``LANGUAGES``: ``en`` (or ``en-GB``…) is English, anything else the default."""
    return "en" if (language or "").lower().split("-")[0] == "en" else DEFAULT_LANGUAGE


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def term(name: str, value, language: str) -> str:
    """``value`` of parameter ``name`` in ``language`` when the catalogue knows the word, else as it is."""
    entry = CATALOGUE.get(f"term.{name}.{value}")
    return entry[language_of(language)] if entry else str(value)


def render(key: str, params: dict | None, language: str) -> str:
    """The text ``key`` in ``language`` with ``params`` filled in; an unknown key renders as itself."""
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    params = params or {}
    return _PLACEHOLDER.sub(
        lambda m: term(m[1], params[m[1]], language) if m[1] in params else "", entry[language_of(language)]
    )
