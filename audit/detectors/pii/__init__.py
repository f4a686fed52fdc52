"""The ``pii`` detector: presidio + spaCy with the project's recognizers and a cheap prefilter.

``detector`` holds the detector class, ``recognizers`` the extra pattern recognizers and
``prefilter`` the trigger test that skips texts no recognizer could match.
"""
