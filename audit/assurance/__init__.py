"""Assurance: sampled review → residual-risk estimates, rule precision, detector miss rates,
and the compliance outputs drawn from them (docs/ASSURANCE.md).

Modules: ``sampling`` (draw and record a review sample), ``answers`` (reviewers' answers),
``estimates`` (the estimators, pure functions), ``summary`` (the figures of a run),
``compliance`` (EU training-content summary, Croissant RAI fields, dataset-card section).
"""
