"""Folded forms of Vietnamese names for search and matching: no diacritics, lower case, single spaces."""

from __future__ import annotations

import re
import unicodedata

# Words that name the kind of administrative unit rather than the unit itself (STYLE.md §12); longest first.
# Village words (thôn, bản) are not stripped: "Bản Lầy" may be a commune's real name.
_UNIT_WORDS = ("thanh pho", "thi tran", "thi xa", "dac khu", "phuong", "tinh", "huyen", "quan", "xa")
_UNIT_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(w) for w in _UNIT_WORDS) + r")\s+")


def fold_text(text: str) -> str:
    """Return ``text`` without diacritics (đ -> d), lower case, with runs of space, _ and - made one space."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-]+", " ", stripped.lower()).strip()


def fold_place_name(name: str) -> str:
    """Fold a place name and drop a leading unit word: 'Xã Mường Nhé' -> 'muong nhe'."""
    folded = fold_text(name)
    without_unit = _UNIT_PREFIX.sub("", folded, count=1)
    return without_unit or folded
