"""Folded forms of Vietnamese names for search and matching: no diacritics, lower case, single spaces."""

from __future__ import annotations

import re
import unicodedata

# Words that name the kind of administrative unit rather than the unit itself (STYLE.md §12); longest first.
# Matched WITH their diacritics: "Xa Dung" and "Quan Sơn" are names, "Xã"/"Quận" are unit words. Village words
# (thôn, bản) are not stripped: "Bản Lầy" may be a commune's real name.
_UNIT_WORDS = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "tỉnh", "huyện", "quận", "xã")
_UNIT_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(w) for w in _UNIT_WORDS) + r")\s+")


def fold_text(text: str) -> str:
    """Return ``text`` without diacritics (đ -> d), lower case, with runs of space, _ and - made one space."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-]+", " ", stripped.lower()).strip()


_FOLDED_UNIT_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(fold_text(w)) for w in _UNIT_WORDS) + r")\s+")


def fold_place_name(name: str) -> str:
    """Fold a place name and drop a leading unit word: 'Xã Mường Nhé' -> 'muong nhe', 'Xa Dung' -> 'xa dung'.

    Text typed without diacritics ('xa Muong Nhe') loses its unit word only when at least two words follow it:
    Vietnamese commune names have two syllables or more, so 'Xa Dung' stays whole.
    """
    lowered = unicodedata.normalize("NFC", name).strip().lower()
    without_unit = _UNIT_PREFIX.sub("", lowered, count=1)
    folded = fold_text(without_unit) or fold_text(lowered)
    if without_unit == lowered and lowered.isascii():
        rest = _FOLDED_UNIT_PREFIX.sub("", folded, count=1)
        if rest != folded and len(rest.split()) >= 2:
            return rest
    return folded
