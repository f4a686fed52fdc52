"""corpus-audit: privacy and consent audit for social-media training corpora."""

__version__ = "0.1.0"
