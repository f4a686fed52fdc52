"""Executors of the detector stage: local process pool, Ray."""
