"""Reading text files in the encodings Vietnamese offices still produce (pure).

- UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" writes one);
- **TCVN3** (TCVN 5712:1993, the "ABC" fonts .VnTime…): one byte per letter, the toned
  lower-case letters in 0xA1–0xFE; capitals with a tone were drawn with a second font
  (.VnTimeH) using the lower-case codes, so in plain text they come out lower-case;
- **VNI** (VNI-Windows fonts): a base letter followed by a mark byte ("chaøo" is "chào");
- Windows-1258 (Vietnamese ANSI code page, with combining tone marks).

:func:`decode` takes the bytes, tries UTF-8 first, and otherwise picks the legacy encoding
whose reading gives the most Vietnamese letters and the fewest stray symbols; the caller can
also name the encoding.
"""

from __future__ import annotations

import re
import unicodedata

ENCODINGS = ("auto", "utf-8", "tcvn3", "vni", "cp1258")


class EncodingError(ValueError):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


# TCVN3: the code of each lower-case letter (and the five capitals without tone) in the
# order of the Unicode letters below.
_TCVN3_LETTERS = (
    "àáảãạ" "ăằắẳẵặ" "âầấẩẫậ" "đ" "èéẻẽẹ" "êềếểễệ" "ìíỉĩị" "òóỏõọ" "ôồốổỗộ" "ơờớởỡợ"
    "ùúủũụ" "ưừứửữự" "ỳýỷỹỵ" "ĂÂĐÊÔƠƯ")
_TCVN3_CODES = (
    "\xb5\xb8\xb6\xb7\xb9" "\xa8\xbb\xbe\xbc\xbd\xc6" "\xa9\xc7\xca\xc8\xc9\xcb" "\xae"
    "\xcc\xd0\xce\xcf\xd1" "\xaa\xd2\xd5\xd3\xd4\xd6" "\xd7\xdd\xd8\xdc\xde"
    "\xdf\xe3\xe1\xe2\xe4" "\xab\xe5\xe8\xe6\xe7\xe9" "\xac\xea\xed\xeb\xec\xee"
    "\xef\xf3\xf1\xf2\xf4" "\xad\xf5\xf8\xf6\xf7\xf9" "\xfa\xfd\xfb\xfc\xfe"
    "\xa1\xa2\xa7\xa3\xa4\xa5\xa6")
TCVN3_TABLE = dict(zip(_TCVN3_CODES, _TCVN3_LETTERS, strict=True))

# VNI: the mark bytes (lower-case; the capital forms are the upper-case Latin-1 letters).
_VNI_TONES = {"\xf9": "\u0301", "\xf8": "\u0300", "\xfb": "\u0309", "\xf5": "\u0303",
              "\xef": "\u0323"}
_VNI_CIRCUMFLEX_TONED = {"\xe1": "\u0301", "\xe0": "\u0300", "\xe5": "\u0309",
                         "\xe3": "\u0303", "\xe4": "\u0323"}
_VNI_BREVE_TONED = {"\xe9": "\u0301", "\xe8": "\u0300", "\xfa": "\u0309", "\xfc": "\u0303",
                    "\xeb": "\u0323"}
# Letters that are one byte in VNI.
_VNI_SINGLE = {"\xf1": "đ", "\xd1": "Đ", "\xf4": "ơ", "\xd4": "Ơ", "\xf6": "ư", "\xd6": "Ư",
               "\xec": "ì", "\xcc": "Ì", "\xed": "í", "\xcd": "Í", "\xe6": "ỉ", "\xc6": "Ỉ",
               "\xf3": "ĩ", "\xd3": "Ĩ", "\xf2": "ị", "\xd2": "Ị", "\xee": "ỵ", "\xce": "Ỵ"}


def _vni_table() -> dict[str, str]:
    """Every (base letter + mark byte) pair of VNI and the letter it makes."""
    table: dict[str, str] = {}

    def add(pair: str, base: str, *marks: str) -> None:
        table[pair] = unicodedata.normalize("NFC", base + "".join(marks))

    for lower in (True, False):
        def c(ch: str, lower: bool = lower) -> str:
            return ch if lower else ch.upper()

        for vowel in "aeouy" + "\xf4\xf6":  # a e o u y ơ ư
            base = {"\xf4": "ơ", "\xf6": "ư"}.get(vowel, vowel)
            for mark, tone in _VNI_TONES.items():
                add(c(vowel) + c(mark), c(base), tone)
        for vowel in "aeo":
            add(c(vowel) + c("\xe2"), c(vowel), "\u0302")  # â ê ô
            for mark, tone in _VNI_CIRCUMFLEX_TONED.items():
                add(c(vowel) + c(mark), c(vowel), "\u0302", tone)
        add(c("a") + c("\xea"), c("a"), "\u0306")  # ă
        for mark, tone in _VNI_BREVE_TONED.items():
            add(c("a") + c(mark), c("a"), "\u0306", tone)
    return table


VNI_TABLE = _vni_table()
_VIETNAMESE = set(
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")
_VIETNAMESE |= {ch.upper() for ch in _VIETNAMESE}


def from_tcvn3(text: str) -> str:
    """TCVN3 bytes read as Latin-1 -> Unicode."""
    return "".join(TCVN3_TABLE.get(ch, ch) for ch in text)


def from_vni(text: str) -> str:
    """VNI bytes read as Latin-1 -> Unicode (pairs first, then the one-byte letters)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i:i + 2]
        if len(pair) == 2 and pair in VNI_TABLE:
            out.append(VNI_TABLE[pair])
            i += 2
            continue
        out.append(_VNI_SINGLE.get(text[i], text[i]))
        i += 1
    return "".join(out)


# The vowel groups a Vietnamese syllable can have (tones taken off, letters kept).
_NUCLEI_TEXT = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê "
    "ui uô uơ uy ưa ưi ươ ưu yê iêu oai oay oeo uây uôi ươi ươu uya uyê uyu yêu")
_NUCLEI = frozenset(_NUCLEI_TEXT.split(" "))
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = re.compile("[aăâeêioôơuưy]+")
_WORD = re.compile(r"[^\W\d_]+")


def _untoned(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


def _score(text: str) -> int:
    """A reading is better when its words have the vowel groups of Vietnamese syllables and
    no stray Latin-1 symbols ("chaøo" read as TCVN3 gives "chaứo": no such syllable)."""
    valid = invalid = 0
    for word in _WORD.findall(text):
        for group in _VOWELS.findall(_untoned(word)):
            if group in _NUCLEI:
                valid += 1
            else:
                invalid += 1
    stray = sum(1 for ch in text if "\x80" <= ch <= "\xff" and ch not in _VIETNAMESE)
    return valid - 3 * invalid - 3 * stray


def decode(content: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of a file and the encoding it was read with."""
    if encoding not in ENCODINGS:
        raise EncodingError(
            f"Bảng mã «{encoding}» không được hỗ trợ (dùng: {', '.join(ENCODINGS)}).",
            f"Encoding '{encoding}' is not supported (use: {', '.join(ENCODINGS)}).")
    if encoding in ("auto", "utf-8"):
        if content.startswith(b"\xef\xbb\xbf"):
            return content[3:].decode("utf-8", errors="strict"), "utf-8-sig"
        try:
            return content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            if encoding == "utf-8":
                raise EncodingError(
                    f"Tệp không phải UTF-8 (byte lỗi ở vị trí {exc.start}); hãy chọn bảng mã "
                    "TCVN3, VNI hoặc Windows-1258.",
                    f"The file is not UTF-8 (bad byte at offset {exc.start}); choose TCVN3, "
                    "VNI or Windows-1258.") from exc
    latin = content.decode("latin-1")
    readings = {
        "tcvn3": from_tcvn3(latin),
        "vni": from_vni(latin),
        "cp1258": unicodedata.normalize("NFC", content.decode("cp1258", errors="replace")),
    }
    if encoding != "auto":
        return readings[encoding], encoding
    best = max(readings, key=lambda k: _score(readings[k]))
    return readings[best], best
