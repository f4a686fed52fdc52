"""Evaluation harness: input formats, span-overlap scoring, the real labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.errors import InputError
from audit.evaluation.pii import evaluate_pii, handles_apart, load_labelled, score
from audit.labels import LabelledText, Span

LABELLED = (
    Path(__file__).resolve().parents[2]
    / "shared/realdata/pii_labelled/presidio-research_synth_dataset_v2.json"
)


def test_overlap_scoring_per_type() -> None:
    examples = [
        LabelledText("x", [Span("PERSON", 0, 10), Span("LOCATION", 20, 25)]),
        LabelledText("y", [Span("PERSON", 0, 4)]),
    ]
    predictions = [
        [Span("PERSON", 5, 12), Span("PERSON", 6, 8), Span("URL", 30, 40)],  # 2nd: same gold
        [Span("LOCATION", 0, 4)],  # wrong type: fp for LOCATION, fn for PERSON
    ]
    scores = score(examples, predictions, ["PERSON", "LOCATION"])
    assert (scores["PERSON"].tp, scores["PERSON"].fp, scores["PERSON"].fn) == (1, 0, 1)
    assert (scores["LOCATION"].tp, scores["LOCATION"].fp, scores["LOCATION"].fn) == (0, 1, 1)
    assert scores["ALL"].tp == 1 and scores["PERSON"].precision == 1.0
    assert scores["PERSON"].recall == 0.5


def test_person_handles_are_set_apart_in_a_second_view(tmp_path: Path) -> None:
    """A corpus labelling @-handles PERSON (raw "@ann_b" or tokenised "@ Bob" with the "@"
    as a span of its own) gets a view without them; names stay PERSON."""
    text = "thanks @ann_b and @ Bob , see Carol Jones in Leeds"
    gold = [
        Span("PERSON", 7, 13),  # @ann_b
        Span("PERSON", 18, 19),  # the lone "@" token
        Span("PERSON", 20, 23),  # Bob after "@ "
        Span("PERSON", 30, 41),  # Carol Jones
        Span("LOCATION", 45, 50),
    ]
    assert [text[g.start : g.end] for g in gold] == ["@ann_b", "@", "Bob", "Carol Jones", "Leeds"]
    predicted = [[Span("SOCIAL_HANDLE", 7, 13), Span("PERSON", 20, 23), Span("PERSON", 30, 41)]]
    rest, rest_predicted, apart = handles_apart([LabelledText(text, gold)], predicted)
    assert apart == 3
    assert [text[g.start : g.end] for g in rest[0].spans] == ["Carol Jones", "Leeds"]
    assert rest_predicted == [[Span("PERSON", 30, 41)]]  # the one on "Bob" went with it
    strict = score([LabelledText(text, gold)], predicted, ["PERSON", "LOCATION"])
    apart_scores = score(rest, rest_predicted, ["PERSON", "LOCATION"])
    assert (strict["PERSON"].tp, strict["PERSON"].fn) == (2, 2)
    assert (apart_scores["PERSON"].tp, apart_scores["PERSON"].fn) == (1, 0)
    # A file without handle labels has no second view.
    f = tmp_path / "plain.jsonl"
    f.write_text(json.dumps({"text": "see Carol Jones", "spans": [
        {"entity_type": "PERSON", "start": 4, "end": 15}]}) + "\n")  # fmt: skip
    assert "scores_handles_apart" not in evaluate_pii(f, "jsonl")


def test_stock_presidio_types_map_onto_ours() -> None:
    """Gold labels and stock presidio's predictions go through the same map."""
    from audit.detectors.pii.categories import CATEGORIES
    from audit.evaluation.pii import STOCK_PRESIDIO_TYPES, map_type

    assert {map_type(t) for t in STOCK_PRESIDIO_TYPES} <= set(CATEGORIES)
    assert map_type("US_DRIVER_LICENSE") == "DRIVER_LICENSE"
    assert map_type("GPE") == "LOCATION"
    assert map_type("ORGANIZATION") == "ORGANIZATION"  # ignored: the detector has no such type


def test_formats_and_label_mapping(tmp_path: Path) -> None:
    presidio = tmp_path / "p.json"
    presidio.write_text(
        json.dumps(
            [
                {
                    "full_text": "in Paris",
                    "spans": [{"entity_type": "GPE", "start_position": 3, "end_position": 8}],
                }
            ]
        )
    )
    jsonl = tmp_path / "l.jsonl"
    jsonl.write_text(
        json.dumps({"text": "in Paris", "spans": [{"entity_type": "GPE", "start": 3, "end": 8}]})
        + "\n"
    )
    expected = [LabelledText("in Paris", [Span("LOCATION", 3, 8)])]
    assert load_labelled(presidio, "presidio") == expected
    assert load_labelled(jsonl, "jsonl") == expected


def test_bad_jsonl_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "spans": []}\n{"nope": 1}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2"):
        load_labelled(bad, "jsonl")


@pytest.mark.skipif(not LABELLED.exists(), reason="../shared/realdata absent")
def test_real_labelled_set_quality_floor() -> None:
    """Regression floor on presidio-research data (measured values in docs/DETECTORS.md)."""
    from audit.evaluation.pii import evaluate_pii

    result = evaluate_pii(LABELLED, "presidio")
    scores = result["scores"]
    for entity in ("EMAIL_ADDRESS", "IP_ADDRESS", "URL", "US_SSN"):
        assert scores[entity]["f1"] >= 0.95, entity
    assert scores["DATE_TIME"]["f1"] >= 0.85
    assert scores["PHONE_NUMBER"]["f1"] >= 0.9  # was 0.61 with presidio's phone recognizer
    assert scores["STREET_ADDRESS"]["f1"] >= 0.55  # was 0.31 with the US pattern alone
    assert scores["PERSON"]["f1"] >= 0.66
    assert scores["LOCATION"]["f1"] >= 0.5
    assert scores["ALL"]["f1"] >= 0.68
