"""Shared test fixtures: the real-data folder (skip without it, fail under PUTWHEEL_REQUIRE_SHARED=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from putwheel.data.shared import ENV_VAR, shared_root

REQUIRE_FLAG = "PUTWHEEL_REQUIRE_SHARED"


def _shared_or_skip() -> Path:
    root = shared_root()
    if root is None:
        reason = (
            f"real data folder not found: set {ENV_VAR} or place 'shared/' beside the checkout "
            "(tests that need real market history cannot run without it)"
        )
        if os.environ.get(REQUIRE_FLAG) == "1":
            pytest.fail(f"{reason}; {REQUIRE_FLAG}=1 turns this skip into a failure")
        pytest.skip(reason)
    return root


@pytest.fixture(scope="session")
def shared() -> Path:
    """Root of ../shared (data/, fixtures/, seed/)."""
    return _shared_or_skip()


@pytest.fixture(scope="session")
def shared_data(shared: Path) -> Path:
    return shared / "data"


@pytest.fixture(scope="session")
def fixtures_dir(shared: Path) -> Path:
    return shared / "fixtures"
