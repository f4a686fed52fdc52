"""The ``pii`` detector: presidio + spaCy with the project's recognizers and a cheap prefilter.

Modules, one job each:

- ``detector``: the detector class (presidio engine, NER batching, post-filters);
- ``language``: each text's language (lingua, offline), which gates the English NER;
- ``prefilter``: the trigger test that skips types no recognizer could match;
- ``categories``: every entity type's category, and the recommended headline types;
- recognizers: ``phones`` (libphonenumber), ``emails`` (written-out addresses),
  ``addresses`` (street forms of the major regions, map links), ``ids`` (passports, driving
  licences, national IDs), ``crypto`` (wallets), ``places`` (place gazetteer),
  ``recognizers`` (social handles, the US street pattern), ``context`` (context words);
- ``names``: which PERSON / LOCATION spans of the NER model are kept.
"""
