"""Evaluation harnesses: score detectors against labelled data."""
