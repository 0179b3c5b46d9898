"""Settings for the whole suite.

Hypothesis runs the same examples on every run (derandomize) and without per-example time
limits: the suite must give one answer on a shared, noisy machine. To hunt for new failing
examples, run with HYPOTHESIS_PROFILE=explore (random examples, ten times as many).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "repeatable", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
