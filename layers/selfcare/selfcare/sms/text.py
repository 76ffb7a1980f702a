"""Text of commercial SMS: the opt-out mention check, the GSM-7 / UCS-2 encoding, inbound STOP and START.

Recipients read the mention on any handset whatever the encoding the message travels in, so the check works
on a normalised form of the text: Unicode NFKC (full-width letters and digits, U+FF21 and on, become ASCII), accents
removed (NFKD, combining marks dropped: "ARRÊT" -> "ARRET"), case folded, every kind of space (no-break,
thin, ideographic) treated as a space. Letters that merely look alike (Cyrillic DZE, U+0405, for "S") are not
folded: a recipient typing the keyword would type the Latin one, so such a text does not carry the mention.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# The GSM 03.38 default alphabet and its extension table (each extension character costs two septets).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_GSM7 = frozenset(GSM7_BASIC) | frozenset(GSM7_EXTENSION)


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class Encoded:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def encoding_of(text: str) -> Encoded:
    """How the network carries `text`: GSM-7 when every character is in the alphabet, else UCS-2; and how many
    segments (160/153 septets, or 70/67 UTF-16 units when concatenated)."""
    if all(char in _GSM7 for char in text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part = 160, 153
        encoding = Encoding.GSM7
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
        encoding = Encoding.UCS2
    segments = 1 if units <= single else -(-units // part)
    return Encoded(encoding, units, segments)


_SPACES = re.compile(r"\s+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC, then accents removed, case folded, spaces collapsed (see the module's docstring)."""
    compatible = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", compatible)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", stripped.casefold()).strip()


@dataclass(frozen=True)
class MentionForm:
    """The opt-out mention the operator requires: one of `keywords`, then the provider's short number at most
    `max_gap` characters further ("STOP au 36180", "Stop SMS: 36 180", "STOP 36180")."""

    keywords: tuple[str, ...] = ("STOP",)
    max_gap: int = 24


def _number_pattern(number: str) -> str:
    # The digits in order, optionally separated by one space, dot or dash ("36 180", "36.180").
    digits = [re.escape(d) for d in number if d.isdigit()]
    return r"[ .\-]?".join(digits)


def has_opt_out_mention(text: str, short_number: str, form: MentionForm) -> bool:
    """Whether `text` carries the mention: a keyword as a whole word, followed within `form.max_gap` characters
    by the short number as a whole number (not part of a longer one)."""
    if not short_number or not any(c.isdigit() for c in short_number):
        return False
    normalised = normalise(text)
    number = _number_pattern(short_number)
    for keyword in form.keywords:
        word = re.escape(normalise(keyword))
        pattern = rf"(?<![0-9a-z]){word}(?![0-9a-z]).{{0,{form.max_gap}}}?(?<![0-9]){number}(?![0-9])"
        if re.search(pattern, normalised):
            return True
    return False


class InboundKeyword(StrEnum):
    STOP = "stop"  # opt out (at the short number, or everywhere when so configured)
    STOP_ALL = "stop_all"  # opt out of every commercial SMS
    START = "start"  # undo


STOP_WORDS = frozenset({"STOP", "ARRET", "DESABONNER", "UNSUBSCRIBE", "DESINSCRIRE", "DESINSCRIPTION"})
STOP_ALL_WORDS = frozenset({"STOPALL", "STOP ALL"})
START_WORDS = frozenset({"START", "UNSTOP", "REPRENDRE"})


def inbound_keyword(body: str) -> InboundKeyword | None:
    """STOP and its variants in an inbound SMS: the whole message, any case and accents, surrounding spaces and
    punctuation ignored ("  Arrêt. ", "stop!", "STOP ALL"). Anything else (a sentence that merely contains
    "stop") is None: an ambiguous message is not an opt-out request."""
    folded = normalise(body).upper()
    core = re.sub(r"^[\W_]+|[\W_]+$", "", folded, flags=re.UNICODE)
    core = _SPACES.sub(" ", core)
    if core in STOP_ALL_WORDS:
        return InboundKeyword.STOP_ALL
    if core in STOP_WORDS:
        return InboundKeyword.STOP
    if core in START_WORDS:
        return InboundKeyword.START
    return None
