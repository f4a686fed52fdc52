"""Development tooling that does not ship in the wheel: the sample-corpus builders.

``synthetic_images`` draws the sample's photos, ``synthetic_exports`` writes its platform
export shapes and ``embedded_writer`` embeds EXIF/XMP/C2PA metadata into images.
"""
