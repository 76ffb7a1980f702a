"""The notice's pure parts: the language chosen, every category written in both languages, the staff stores."""

from __future__ import annotations

import pytest
from selfcare.privacy import notice, registry
from selfcare.privacy.notice import Language, language_of
from selfcare.privacy.registry import Category


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("en", "fr", Language.EN),
        ("fr", "en", Language.FR),
        (None, "en-US,en;q=0.9", Language.EN),
        (None, "fr;q=0.4, en;q=0.8", Language.EN),
        (None, "de, en;q=0.3", Language.EN),
        (None, "de", Language.FR),
        (None, None, Language.FR),
        (None, "en;q=0", Language.FR),
        (None, "en;q=bad", Language.FR),
    ],
)
def test_the_query_wins_then_accept_language_by_quality_then_french(
    query: str | None, header: str | None, expected: Language
) -> None:
    assert language_of(query, header) is expected


def test_every_category_is_written_in_both_languages() -> None:
    assert set(notice.CATEGORY_TEXT) == set(Category)
    for code in Category:
        fr, en = notice.category(code, Language.FR), notice.category(code, Language.EN)
        assert fr.label and fr.description and en.label and en.description


def test_the_staff_stores_are_on_the_registry() -> None:
    names = {s.name for s in registry.REGISTRY}
    assert set(notice.STAFF_STORES) <= names and set(notice.STAFF_ONLY_STORES) <= set(notice.STAFF_STORES)


def test_the_held_categories_group_the_stores_in_the_registry_order() -> None:
    stores = [s for s in registry.REGISTRY if s.name in ("sessions", "customer profile", "credential")]
    held = notice.held_categories(stores, Language.EN)
    assert [c.code for c in held.categories] == ["identification", "authentication"]
    assert [s.store for s in held.categories[1].stores] == ["credential", "sessions"]
