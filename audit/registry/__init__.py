"""The consent registry: opt-out, erasure and objection requests applied at every scan.

``load`` reads and checks registry files, ``normalise`` holds the one normalisation of
handles, URLs, domains and e-mail addresses (SQL macros), ``subjects`` encodes reference
images and photos, ``lsh`` picks which perceptual-hash pairs to compare, ``match`` applies
the registry and finds copies of images. docs/REGISTRY.md.
"""
