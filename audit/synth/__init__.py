"""`audit synth`: synthetic canonical corpora for smoke tests and capacity planning.

``corpus`` builds rows and labelled captions from ``templates`` filled with ``values``.
"""
