"""Translations: one function, `t(key, lang, **values)`, over zh / en catalogs.

Catalogs live in ``crm/locales/<lang>/*.json`` (one file per area, flat dotted
keys such as ``overview.kpi.revenue``) and are merged at first use. A test
checks that both languages define exactly the same keys and that every key
used in the code exists.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"  # when neither the URL nor the browser names a language
_LOCALES = Path(__file__).parent / "locales"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """Every key of one language, merged from its JSON files."""
    merged: dict[str, str] = {}
    for path in sorted((_LOCALES / lang).glob("*.json")):
        with path.open(encoding="utf-8") as fh:
            part = json.load(fh)
        clash = merged.keys() & part.keys()
        if clash:
            raise ValueError(f"duplicate translation keys in {path}: {sorted(clash)}")
        merged.update(part)
    return merged


def normalise_language(value: str | None) -> str:
    """Map a URL value or a browser locale to a supported language.

    Chinese in any form (``zh``, ``zh-CN``, ``zh_TW``, ``zh-Hans``, ``zh-Hant-HK``) gives ``zh``;
    every other language (``en-US``, ``de-DE``, ``fr``, ``ja``) gives ``en``. With nothing to go
    on (no ``?lang=`` and no browser locale) the product's home market decides: ``zh``.
    """
    if value is None or not str(value).strip():
        return DEFAULT_LANGUAGE
    code = str(value).strip().lower().replace("_", "-").split("-")[0]
    return "zh" if code == "zh" else "en"


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled from `values`.

    A key missing from the catalog is returned as itself, so a gap shows on
    screen instead of breaking the page; the catalog tests stop it shipping.
    """
    text = catalog(normalise_language(lang)).get(key, key)
    return text.format(**values) if values else text


def has_key(key: str, lang: str) -> bool:
    return key in catalog(normalise_language(lang))


class Message:
    """A message decided in `crm/` and shown later in the reader's language (e.g. a progress step).

    `render(lang)` translates it; `str()` gives English, for logs.
    """

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values

    def render(self, lang: str) -> str:
        return t(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.render("en")


def render(message: "Message | str", lang: str) -> str:
    """A `Message` in `lang`; plain text as it is."""
    return message.render(lang) if isinstance(message, Message) else str(message)
