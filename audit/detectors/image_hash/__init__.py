"""The ``image_hash`` detector: a perceptual hash (PDQ) of every image, for finding copies."""
