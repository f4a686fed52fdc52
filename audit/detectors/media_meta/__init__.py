"""The ``media_meta`` detector (``detector``) and its readers of metadata embedded in images:
EXIF (``exif``), XMP with IPTC, rights and CC (``xmp``) and C2PA (``c2pa``).

Each reader works on bytes or a lazily opened Pillow image, never decodes pixels and never
touches the network. They raise :class:`EmbeddedMetadataError` for malformed metadata.
"""


class EmbeddedMetadataError(ValueError):
    """Embedded metadata that cannot be read (truncated, wrong types, oversized)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
