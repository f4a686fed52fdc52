"""The ``faces`` detector: dlib HOG face boxes (``detector``) and 128-d encodings (``encoder``)."""
