"""Every pii entity type has one category; the recommended headline types are a subset."""

from __future__ import annotations

from audit.detectors.pii.categories import CATEGORIES, HEADLINE_TYPES, category_of
from audit.detectors.pii.detector import DEFAULT_ENTITIES


def test_every_detector_type_has_a_category() -> None:
    assert set(DEFAULT_ENTITIES) == set(CATEGORIES)
    assert category_of("PHONE_NUMBER") == "contact"
    assert category_of("NATIONAL_ID") == "government_id"
    assert category_of("CRYPTO") == "financial"
    assert category_of("URL") == "network"
    assert category_of("ORGANIZATION") is None


def test_headline_types_are_contact_id_and_financial_data() -> None:
    assert set(CATEGORIES) >= HEADLINE_TYPES
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "US_SSN", "CREDIT_CARD"} <= (
        HEADLINE_TYPES
    )
    assert not HEADLINE_TYPES & {"SOCIAL_HANDLE", "PERSON", "LOCATION", "URL", "DATE_TIME"}
