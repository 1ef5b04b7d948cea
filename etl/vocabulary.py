"""The field vocabulary (etl/vocabulary.yaml plus a user's --mapping file), matched on folded text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from etl.errors import LoadRefusedError
from etl.names import fold_text

VOCABULARY_FILE = Path(__file__).resolve().parent / "vocabulary.yaml"
_SECTIONS = ("headers", "types", "technologies", "statuses", "doubtful_statuses", "village_kinds")
_PUNCT = re.compile(r"[()\[\]{}/\\.,:;'\"*#?!+=<>|]+")


@lru_cache(maxsize=65536)  # survey columns repeat the same few words thousands of times
def fold_key(text: str) -> str:
    """Fold ``text`` for vocabulary matching: :func:`fold_text` plus brackets and punctuation as spaces."""
    return " ".join(_PUNCT.sub(" ", fold_text(text)).split())


@dataclass(frozen=True)
class Vocabulary:
    """Folded word -> phusong code, per section; ``labels`` keeps each code's first (display) synonym."""

    sections: Mapping[str, Mapping[str, str]]
    columns: Mapping[str, str] = field(
        default_factory=dict
    )  # a --mapping file's exact source header -> field ("" for no field)

    def lookup(self, section: str, value: str) -> str | None:
        """Return the code for ``value`` in ``section`` (exact folded match), or None."""
        return self.sections.get(section, {}).get(fold_key(value))

    def lookup_prefix(self, section: str, value: str) -> str | None:
        """Exact match first, else the longest known word that ``value`` starts with (whole words only)."""
        key = fold_key(value)
        words = self.sections.get(section, {})
        if key in words:
            return words[key]
        best = ""
        for word in words:
            if len(word) > len(best) and key.startswith(word + " "):
                best = word
        return words[best] if best else None

    def known(self, section: str) -> list[str]:
        """The codes of ``section``, for messages."""
        return sorted(set(self.sections.get(section, {}).values()))


def _index(raw: Mapping[str, Any], origin: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    for section in _SECTIONS:
        entries = raw.get(section) or {}
        if not isinstance(entries, Mapping):
            raise LoadRefusedError(code="mapping_section_invalid", path=origin, section=section)
        words: dict[str, str] = {}
        for code, synonyms in entries.items():
            values: Iterable[Any] = synonyms if isinstance(synonyms, list) else [synonyms]
            for word in [code, *values]:
                if word is not None:
                    words.setdefault(fold_key(str(word)), str(code))
        sections[section] = words
    return sections


@lru_cache(maxsize=1)
def _builtin() -> dict[str, dict[str, str]]:
    with VOCABULARY_FILE.open(encoding="utf-8") as handle:
        return _index(yaml.safe_load(handle) or {}, str(VOCABULARY_FILE))


# A mapping: a --mapping YAML file, or the same content as a dict (the upload page's column choices).
MappingSource = Path | Mapping[str, Any]


def load_vocabulary(mapping: MappingSource | None = None) -> Vocabulary:
    """Return the built-in vocabulary, extended by a --mapping YAML file (or the same sections as a dict).

    The mapping has the sections of etl/vocabulary.yaml (its words come before the built-in ones) and
    an optional ``columns:`` section mapping a file's exact header to a phusong field, e.g.
    ``columns: {"Toạ độ X (VN2000)": x}``; a column named there is that field even where another column's
    header is a known word for it, and a header mapped to nothing (``null``) is read as no field at all.
    """
    sections = {name: dict(words) for name, words in _builtin().items()}
    columns: dict[str, str] = {}
    if mapping is not None:
        raw = _read_mapping(mapping) if isinstance(mapping, Path) else _checked_sections(mapping, "mapping")
        for name, words in _index(raw, str(mapping)).items():
            sections[name] = {**sections[name], **words}
        given = raw.get("columns") or {}
        if not isinstance(given, Mapping):
            raise LoadRefusedError(code="mapping_columns_invalid", path=mapping)
        fields = set(sections["headers"].values())
        for header, target in given.items():
            if target is None or target == "":
                columns[fold_key(str(header))] = ""  # read as no field
                continue
            if str(target) not in fields:
                raise LoadRefusedError(code="mapping_column_target_unknown", path=mapping, header=str(header),
                                       target=str(target), targets=sorted(fields))
            columns[fold_key(str(header))] = str(target)
    return Vocabulary(sections=sections, columns=columns)


def _read_mapping(path: Path) -> Mapping[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise LoadRefusedError(code="mapping_file_missing", path=path) from exc
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise LoadRefusedError(code="mapping_unreadable", path=path, cli_hint=type(exc).__name__) from exc
    return _checked_sections(raw, path)


def _checked_sections(raw: Any, path: Path | str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise LoadRefusedError(code="mapping_not_sections", path=path)
    unknown = set(raw) - {*_SECTIONS, "columns"}
    if unknown:
        raise LoadRefusedError(code="mapping_sections_unknown", path=path, sections=sorted(map(str, unknown)),
                               expected=["columns", *_SECTIONS])
    return raw
