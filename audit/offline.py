"""Keep model libraries offline: no network attempt, no noisy fallback tracebacks.

The audit runs on machines without internet (and must never phone home with corpus data).
Call :func:`ensure_offline` before importing presidio (which imports tldextract at module
import time and builds its default extractor from the environment).
"""

from __future__ import annotations

import os
import sys

#: Environment that switches model hubs to their local caches.
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


def ensure_offline() -> None:
    """Make tldextract use its bundled public-suffix snapshot and hubs use local caches.

    Idempotent and cheap. tldextract reads ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` when its
    module-level extractor is built; an empty value means "fetch nothing", so it falls back
    to the snapshot shipped inside the wheel without trying the network (and without the
    warning + traceback it logs when a fetch fails). If tldextract was already imported, the
    live extractor is switched the same way.
    """
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    module = sys.modules.get("tldextract.tldextract")
    if module is not None:
        module.TLD_EXTRACTOR.suffix_list_urls = ()
