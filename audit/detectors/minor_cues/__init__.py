"""``minor_cues``: English age and school cues in text, for item- and author-level minor rules.

Modules: ``detector`` (the detector class and its declarations), ``cues`` (the extraction
logic and the cue table), ``patterns`` (the regexes), ``context`` (subject and tense of a
cue), ``lexicon`` (number words and nouns), ``prefilter`` (trigger words), ``evidence`` (how
cues weigh for an author). Docs: docs/DETECTORS.md, ``minor_cues``.
"""

from audit.detectors.minor_cues.detector import MinorCuesDetector, find_cues

__all__ = ["MinorCuesDetector", "find_cues"]
