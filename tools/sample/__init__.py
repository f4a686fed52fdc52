"""The bundled sample corpus builder: ``python -m tools.sample.build`` rewrites sample_data/.

``plan`` decides every post and photo (seeded), ``writers`` writes them in each platform's
export shape and ``readme`` renders sample_data/README.md from the plan.
"""
