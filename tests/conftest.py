"""Settings for the whole suite.

Hypothesis runs the same examples on every run (derandomize) and without per-example time
limits: the suite must give one answer on a shared, noisy machine. To hunt for new failing
examples, run with HYPOTHESIS_PROFILE=explore (random examples, ten times as many).

The terminal's width is set too: Rich, behind the CLI, lays out tables and help to the
COLUMNS of the environment (or of the terminal pytest runs in), so a test reading the
output would pass at one width and fail at another. Every test runs at 80 columns, what a
pipe or CI gets, unless it sets its own (`env={"COLUMNS": ...}` on the CliRunner).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

TEST_COLUMNS = "80"

settings.register_profile(
    "repeatable", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _terminal_width(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COLUMNS", TEST_COLUMNS)
    monkeypatch.delenv("LINES", raising=False)
    yield
