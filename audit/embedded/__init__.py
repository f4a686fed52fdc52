"""Readers for metadata embedded in image files: EXIF, XMP (IPTC, rights, CC) and C2PA.

Each reader works on bytes or a lazily opened Pillow image, never decodes pixels and never
touches the network. They raise :class:`EmbeddedMetadataError` for malformed metadata.
"""


class EmbeddedMetadataError(ValueError):
    """Embedded metadata that cannot be read (truncated, wrong types, oversized)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
