"""Preloaded first by the engine's forkserver: it dies with the scan that started it.

Imported for its side effect, only in the forkserver process (see
:func:`audit.engine.worker_env.die_with_parent`).
"""

from audit.engine.worker_env import die_with_parent

die_with_parent()
