"""`image_hash`: a PDQ perceptual hash of every image (one ``PDQ_HASH`` finding each).

The hash is what the consent registry matches reference images against and what finds
copies of non-public images elsewhere in the corpus (audit/registry/). It is a fact about the
file, not personal data. Cost: one bounded image decode and a 64×64 DCT per image.
"""

from __future__ import annotations

from typing import Any, ClassVar

from audit.detectors.base import Content, Finding, FindingKind, InputKind, Result
from audit.detectors.image_hash import pdq


class ImageHashDetector:
    """PDQ hash of each image; attributes ``pdq`` (64 hex digits) and ``quality`` (0-100)."""

    name: ClassVar[str] = "image_hash"
    version: ClassVar[str] = pdq.VERSION
    input_kind: ClassVar[InputKind] = "image"
    entity_types: ClassVar[tuple[str, ...]] = ("PDQ_HASH",)
    personal_data: ClassVar[bool] = False
    finding_kind: ClassVar[FindingKind] = "media_fact"
    label: ClassVar[str] = "perceptual hashes of images (PDQ)"
    finding_noun: ClassVar[tuple[str, str]] = ("a perceptual hash", "perceptual hashes")
    found_in: ClassVar[str] = "for the image"
    batch_size: ClassVar[int] = 32
    preload: ClassVar[tuple[str, ...]] = ("pdqhash", "PIL.Image", "numpy")

    def setup(self) -> None:
        """Nothing to load (pdqhash is a compiled extension)."""
        import pdqhash  # noqa: F401  (fail at start-up, not on the first image)

    def describe(self) -> dict[str, Any]:
        """Versions for the run manifest."""
        import importlib.metadata

        return {
            "pdqhash": importlib.metadata.version("pdqhash"),
            "work_side": pdq.WORK_SIDE,
            "min_quality": pdq.MIN_QUALITY,
        }

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per image; unreadable images give the image loader's error code."""
        from audit.imageio import ImageLoadError

        results = []
        for content in batch:
            try:
                hashed = pdq.hash_pixels(pdq.load_for_hash(content.path or ""))
            except ImageLoadError as exc:
                results.append(Result(content.sha256, error=str(exc)))
                continue
            results.append(
                Result(
                    content.sha256,
                    [
                        Finding(
                            "PDQ_HASH",
                            score=hashed.quality / 100,
                            recognizer="pdq",
                            attributes={"pdq": hashed.hex, "quality": hashed.quality},
                        )
                    ],
                )
            )
        return results
