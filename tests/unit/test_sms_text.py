"""The opt-out mention check, the encodings, and the inbound keywords (selfcare.sms.text)."""

# Look-alike and full-width characters are what these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from selfcare.sms.text import Encoding, InboundKeyword, MentionForm, encoding_of, has_opt_out_mention, inbound_keyword

FORM = MentionForm(keywords=("STOP",), max_gap=24)

# Real-looking messages of a provider whose short number is 36180: (text, carries the mention).
MESSAGES = [
    ("Soldes -50% chez Riviera Shop ce week-end ! STOP au 36180", True),
    ("Riviera Shop : -20% sur tout le magasin. Stop SMS 36180", True),
    ("PROMO Casino: 100 tours offerts. STOP 36180", True),
    ("Votre code fidélité : 4411. Désinscription : envoyez STOP au 36 180", True),
    ("Nouveautés été ☀️ chez Riviera. STOP au 36.180", True),  # UCS-2 (emoji), separators in the number
    ("ＳＴＯＰ au ３６１８０ : offre spéciale", True),  # full-width characters (NFKC)
    ("Offre\u00a0spéciale\u00a0! STOP\u00a0au\u00a036180", True),  # no-break spaces
    ("Riviera: offre limitée.\nSTOP\nau 36180", True),  # line breaks
    ("stop au 36180 - Offre Riviera", True),  # keyword first, lower case
    ("Soldes -50% chez Riviera Shop ce week-end !", False),  # no mention at all
    ("Soldes ! Répondez STOP pour ne plus recevoir nos offres", False),  # keyword without the number
    ("Soldes ! Infos au 36180", False),  # number without the keyword
    ("Soldes ! STOP au 361800", False),  # a longer number is another number
    ("Soldes ! STOP au 36181", False),  # another provider's number
    ("Soldes ! STOPPER les frais : 36180", False),  # STOP only inside a word
    ("Soldes ! ЅТОР au 36180", False),  # Cyrillic look-alikes: the recipient could not type them
    ("Soldes ! STOP ....................................... 36180", False),  # too far apart to read as one
    ("Appelez le 0636180000 ! STOP", False),  # the digits inside a longer number, before the keyword
]


@pytest.mark.parametrize(("text", "expected"), MESSAGES)
def test_the_opt_out_mention_on_real_looking_messages(text: str, expected: bool) -> None:
    assert has_opt_out_mention(text, "36180", FORM) is expected


def test_an_operator_configured_keyword_with_accents() -> None:
    form = MentionForm(keywords=("STOP", "ARRÊT"), max_gap=24)
    assert has_opt_out_mention("Offre Riviera. Arret au 36180", "36180", form)
    assert has_opt_out_mention("Offre Riviera. ARRÊT au 36180", "36180", form)
    assert not has_opt_out_mention("Offre Riviera. ARRÊT au 36180", "36180", FORM)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("STOP au 36180", Encoding.GSM7, 1),
        ("é" * 160, Encoding.GSM7, 1),  # é is in the GSM-7 alphabet
        ("€" * 80, Encoding.GSM7, 1),  # extension characters count two septets: 160
        ("€" * 81, Encoding.GSM7, 2),
        ("a" * 161, Encoding.GSM7, 2),
        ("Été ☀️", Encoding.UCS2, 1),  # É is, but not ☀
        ("ê" * 70, Encoding.UCS2, 1),  # ê is not in GSM-7
        ("ê" * 71, Encoding.UCS2, 2),
    ],
)
def test_gsm7_and_ucs2(text: str, encoding: Encoding, segments: int) -> None:
    encoded = encoding_of(text)
    assert (encoded.encoding, encoded.segments) == (encoding, segments)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", InboundKeyword.STOP),
        ("stop", InboundKeyword.STOP),
        ("  Stop.  ", InboundKeyword.STOP),
        ("STOP!", InboundKeyword.STOP),
        ("ARRET", InboundKeyword.STOP),
        ("ARRÊT", InboundKeyword.STOP),
        ("arrêt", InboundKeyword.STOP),
        ("« Arrêt »", InboundKeyword.STOP),
        ("DESABONNER", InboundKeyword.STOP),
        ("Désabonner", InboundKeyword.STOP),
        ("UNSUBSCRIBE", InboundKeyword.STOP),
        ("unsubscribe.", InboundKeyword.STOP),
        ("STOPALL", InboundKeyword.STOP_ALL),
        ("stopall !", InboundKeyword.STOP_ALL),
        ("Stop all", InboundKeyword.STOP_ALL),
        ("ＳＴＯＰ", InboundKeyword.STOP),
        ("START", InboundKeyword.START),
        (" start ", InboundKeyword.START),
        ("Please stop sending me these", None),
        ("STOPPER", None),
        ("", None),
        ("Merci", None),
    ],
)
def test_each_stop_variant(body: str, expected: InboundKeyword | None) -> None:
    assert inbound_keyword(body) is expected
