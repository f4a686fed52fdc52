"""The optional ``ocr_text`` detector: Tesseract on images, then PII on the text it reads.

``detector`` holds the detector class, ``layout`` turns Tesseract's word boxes into text with
offsets, and ``prefilter`` skips images that cannot hold readable text.
"""
