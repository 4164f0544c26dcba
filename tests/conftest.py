"""Shared pytest setup: the repo root on ``sys.path`` and small-data fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import helpers  # noqa: E402  (needs the path set up above)


@pytest.fixture
def mnist_mirror(tmp_path: Path) -> Path:
    """A small MNIST mirror (60 train + 20 test images) with its own SHA256SUMS; returns the mirror root."""
    root = tmp_path / "mirror"
    helpers.write_mnist_mirror(root, n_train=60, n_test=20, seed=1)
    return root


@pytest.fixture
def titanic_text() -> str:
    """A small Kaggle-layout Titanic train.csv text (every category present, some Age/Embarked missing)."""
    return helpers.titanic_csv_text(helpers.titanic_rows(48, seed=3), labelled=True)
