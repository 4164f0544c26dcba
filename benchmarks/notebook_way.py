"""Benchmark baseline (a): the seed notebook, run the notebook's way.

This is a script transcription of ``shared/seed/000_2c4cff409ef803df.txt``
(the Korean write-up of Hands-On ML chapter 3, "classification"). It is
deliberately slow and memory-hungry: it does exactly what the notebook does
(float64 pixels, lbfgs with the default ``max_iter``, ten separate fits of the
5-vs-rest classifier, the augmented set built image by image with Python list
appends and then shuffled into yet another copy), because it is the yardstick
the pipeline is compared with. Do not "fix" it; the inefficiency is the point.

Changes from the notebook, all forced or non-computational:

* no network: MNIST comes from the four original IDX ``.gz`` files (train then
  test = the row order of OpenML ``mnist_784``, pixels as float64 like
  ``fetch_openml`` gives them), Titanic from ``<titanic dir>/train.csv``;
* newer library APIs: ``LogisticRegression(solver="lbfgs", C=10)`` without
  ``multi_class`` (multinomial is now the default), ``OneHotEncoder(
  sparse_output=False)``, ``scipy.ndimage.shift``;
* figures (``some_digit_plot``, ``more_digits_plot``, the precision/recall plot,
  the shifted-digit panel) and pure data displays (``info()``,
  ``value_counts()``) are skipped: the benchmark measures computation;
* ConvergenceWarning / UndefinedMetricWarning are filtered so the output is
  readable (lbfgs still stops at its iteration limit, as in the notebook).

Usage::

    python benchmarks/notebook_way.py [--mnist-dir DIR] [--titanic-dir DIR]
                                      [--json OUT] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.ndimage import shift
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_curve,
    precision_score,
    recall_score,
)
from sklearn.model_selection import cross_val_predict, cross_val_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MNIST_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist"
DEFAULT_TITANIC_DIR = REPO_ROOT.parent / "shared" / "data" / "titanic"

STEP_NAMES = (
    "load",
    "binary_fits",
    "softmax",
    "augment_shuffle",
    "softmax_augmented",
    "titanic",
    "total",
)


# --------------------------------------------------------------------------
# The notebook's classes, as written there.
# --------------------------------------------------------------------------
class Never5Classifier(BaseEstimator):
    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> None:
        pass

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X), dtype=bool)


# 속성을 골라 사용할 수 있도록 해줌
class DataFrameSelector(BaseEstimator, TransformerMixin):
    def __init__(self, attribute_names: list[str]) -> None:
        self.attribute_names = attribute_names

    def fit(self, X: pd.DataFrame, y: Any = None) -> DataFrameSelector:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X[self.attribute_names]


# missing value를 가장 많이 나오는 값으로 채워넣어준다.
class MostFrequentImputer(BaseEstimator, TransformerMixin):
    def fit(self, X: pd.DataFrame, y: Any = None) -> MostFrequentImputer:
        self.most_frequent_ = pd.Series([X[c].value_counts().index[0] for c in X], index=X.columns)
        return self

    def transform(self, X: pd.DataFrame, y: Any = None) -> pd.DataFrame:
        return X.fillna(self.most_frequent_)


# 오른쪽이나 아래로 이미지를 조금씩 shift시키는 함수
def shift_image(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Shift one flat 784-pixel image by (dx, dy), exactly as the notebook."""
    image = image.reshape((28, 28))
    shifted_image = shift(image, [dy, dx], cval=0, mode="constant")
    return shifted_image.reshape([-1])


# --------------------------------------------------------------------------
# Steps.
# --------------------------------------------------------------------------
def _idx_images(path: Path) -> np.ndarray:
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28 * 28)


def _idx_labels(path: Path) -> np.ndarray:
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=8)


def load_mnist(mnist_dir: Path, limit: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Stand-in for ``fetch_openml('mnist_784')``: X float64 (70000, 784), y uint8.

    With ``limit`` only the first ``limit`` training rows and ``limit // 6``
    test rows are kept; returns (X, y, number of training rows).
    """
    train_x = _idx_images(mnist_dir / "train-images-idx3-ubyte.gz")
    test_x = _idx_images(mnist_dir / "t10k-images-idx3-ubyte.gz")
    train_y = _idx_labels(mnist_dir / "train-labels-idx1-ubyte.gz")
    test_y = _idx_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz")
    if limit is not None:
        train_x, train_y = train_x[:limit], train_y[:limit]
        test_x, test_y = test_x[: limit // 6], test_y[: limit // 6]
    # OpenML's data comes as float64; the notebook then does y.astype(np.uint8).
    X = np.concatenate([train_x, test_x]).astype(np.float64)
    y = np.concatenate([train_y, test_y]).astype(np.uint8)
    return X, y, len(train_x)


def binary_classifier(X: np.ndarray, X_train: np.ndarray, y_train: np.ndarray, n_train: int) -> dict[str, Any]:
    """The 5-vs-rest section: one fit, CV, Never5 baseline, confusion, PR curve."""
    y_train_5 = y_train == 5

    # 로지스틱 회귀 모델 사용
    log_clf = LogisticRegression(random_state=0).fit(X_train, y_train_5)
    predict_first3 = log_clf.predict([X[0], X[1], X[2]])

    # 교차 검증을 사용해 평가
    cv_acc = cross_val_score(log_clf, X_train, y_train_5, cv=3, scoring="accuracy")

    never_5_clf = Never5Classifier()
    never5_acc = cross_val_score(never_5_clf, X_train, y_train_5, cv=3, scoring="accuracy")
    never5_pred = never_5_clf.predict(X)[:n_train]

    # 오차 행렬(Confusion matrix)
    y_train_pred = cross_val_predict(log_clf, X_train, y_train_5, cv=3)
    confusion = confusion_matrix(y_train_5, y_train_pred)
    precision = precision_score(y_train_5, y_train_pred)
    recall = recall_score(y_train_5, y_train_pred)
    never5_confusion = confusion_matrix(y_train_5, never5_pred)
    never5_precision = precision_score(y_train_5, never5_pred)
    never5_recall = recall_score(y_train_5, never5_pred)

    # Precision / Recall Trade-off: the notebook's example digit X_train[48]
    example = 48
    some_digit = X_train[example]
    some_digit_score = log_clf.decision_function([some_digit])
    pred_at_0 = some_digit_score > 0
    pred_at_half = some_digit_score > 0.5

    y_scores = cross_val_predict(log_clf, X_train, y_train_5, cv=3, method="decision_function")
    # recalls only feed the notebook's precision-vs-recall plot (skipped)
    precisions, _recalls, thresholds = precision_recall_curve(y_train_5, y_scores)

    return {
        "predict_first3": predict_first3.tolist(),
        "binary_cv_accuracy": cv_acc.tolist(),
        "never5_cv_accuracy": never5_acc.tolist(),
        "confusion": confusion.tolist(),
        "precision": float(precision),
        "recall": float(recall),
        "never5_confusion": never5_confusion.tolist(),
        "never5_precision": float(never5_precision),
        "never5_recall": float(never5_recall),
        "example_cv_pred_and_truth": [
            bool(y_train_pred[example]),
            bool(y_train_5[example]),
        ],
        "example_decision_score": float(some_digit_score[0]),
        "example_pred_threshold_0_and_0.5": [bool(pred_at_0[0]), bool(pred_at_half[0])],
        "pr_thresholds": int(thresholds.shape[0]),
        "pr_precisions": int(precisions.shape[0]),
    }


def softmax(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray) -> dict[str, Any]:
    """Multinomial logistic regression (lbfgs, C=10) on the raw training set."""
    # multinomial is the lbfgs default now (the notebook passed multi_class=...)
    softmax_reg = LogisticRegression(solver="lbfgs", C=10)
    softmax_reg.fit(X_train, y_train)
    first10 = softmax_reg.predict(X_train)[:10]
    y_pred = softmax_reg.predict(X_test)
    return {
        "softmax_train_pred_first10": first10.tolist(),
        "softmax_test_accuracy": float(accuracy_score(y_test, y_pred)),
    }


def augment_shuffle(X_train: np.ndarray, y_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build the 5x shift-augmented set image by image, then shuffle it."""
    X_train_augmented = [image for image in X_train]
    y_train_augmented = [label for label in y_train]

    # 레이블을 유지한 채 shift한 데이터를 추가하는 작업
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        for image, label in zip(X_train, y_train, strict=True):
            X_train_augmented.append(shift_image(image, dx, dy))
            y_train_augmented.append(label)

    X_train_augmented = np.array(X_train_augmented)
    y_train_augmented = np.array(y_train_augmented)

    shuffle_idx = np.random.permutation(len(X_train_augmented))
    X_train_augmented = X_train_augmented[shuffle_idx]
    y_train_augmented = y_train_augmented[shuffle_idx]
    return X_train_augmented, y_train_augmented


def softmax_augmented(
    X_train_augmented: np.ndarray,
    y_train_augmented: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
) -> dict[str, Any]:
    """The same softmax model trained on the augmented set."""
    softmax_reg_augmented = LogisticRegression(solver="lbfgs", C=10)
    softmax_reg_augmented.fit(X_train_augmented, y_train_augmented)
    y_pred = softmax_reg_augmented.predict(X_test)
    return {
        "augmented_shape": list(X_train_augmented.shape),
        "softmax_augmented_test_accuracy": float(accuracy_score(y_test, y_pred)),
    }


def titanic(titanic_dir: Path) -> dict[str, Any]:
    """Titanic preprocessing (FeatureUnion of the notebook's pipelines) + LR."""
    train_data = pd.read_csv(titanic_dir / "train.csv")

    num_pipeline = Pipeline(
        [
            ("select_numeric", DataFrameSelector(["Age", "SibSp", "Parch", "Fare"])),
            ("imputer", SimpleImputer(strategy="median")),
        ]
    )
    cat_pipeline = Pipeline(
        [
            ("select_cat", DataFrameSelector(["Pclass", "Sex", "Embarked"])),
            ("imputer", MostFrequentImputer()),
            ("cat_encoder", OneHotEncoder(sparse_output=False)),
        ]
    )
    preprocess_pipeline = FeatureUnion(
        transformer_list=[
            ("num_pipeline", num_pipeline),
            ("cat_pipeline", cat_pipeline),
        ]
    )

    X_train = preprocess_pipeline.fit_transform(train_data)
    y_train = train_data["Survived"]

    log_clf = LogisticRegression(random_state=0).fit(X_train, y_train)
    train_accuracy = accuracy_score(y_train, log_clf.predict(X_train))

    # 모델에서 어떤 통찰을 얻을 수 있는지 살펴보기
    a = np.c_[log_clf.decision_function(X_train), y_train, X_train]
    df = pd.DataFrame(
        data=a,
        columns=[
            "Score",
            "Survived",
            "Age",
            "SibSp",
            "Parch",
            "Fare",
            "Pclass_1",
            "Pclass_2",
            "Pclass_3",
            "Female",
            "Male",
            "Embarked_C",
            "Embarked_Q",
            "Embarked_S",
        ],
    )
    top20 = df.sort_values(by=["Score"], ascending=False)[:20]
    bottom20 = df.sort_values(by=["Score"])[:20]

    return {
        "titanic_shape": list(X_train.shape),
        "titanic_train_accuracy": float(train_accuracy),
        "titanic_top20_survived": int(top20["Survived"].sum()),
        "titanic_bottom20_survived": int(bottom20["Survived"].sum()),
    }


# --------------------------------------------------------------------------
# Driver.
# --------------------------------------------------------------------------
def run(mnist_dir: Path, titanic_dir: Path, limit: int | None) -> dict[str, Any]:
    """Run the whole notebook, timing each step; return steps, peak RSS, metrics."""
    # to make this notebook's output stable across runs
    np.random.seed(42)

    steps: dict[str, float] = {}
    metrics: dict[str, Any] = {}
    t_start = time.perf_counter()

    t = time.perf_counter()
    X, y, n_train = load_mnist(mnist_dir, limit)
    steps["load"] = time.perf_counter() - t

    X_train, X_test, y_train, y_test = (
        X[:n_train],
        X[n_train:],
        y[:n_train],
        y[n_train:],
    )

    t = time.perf_counter()
    metrics.update(binary_classifier(X, X_train, y_train, n_train))
    steps["binary_fits"] = time.perf_counter() - t

    t = time.perf_counter()
    metrics.update(softmax(X_train, y_train, X_test, y_test))
    steps["softmax"] = time.perf_counter() - t

    t = time.perf_counter()
    X_train_augmented, y_train_augmented = augment_shuffle(X_train, y_train)
    steps["augment_shuffle"] = time.perf_counter() - t

    t = time.perf_counter()
    metrics.update(softmax_augmented(X_train_augmented, y_train_augmented, X_test, y_test))
    steps["softmax_augmented"] = time.perf_counter() - t

    t = time.perf_counter()
    metrics.update(titanic(titanic_dir))
    steps["titanic"] = time.perf_counter() - t

    steps["total"] = time.perf_counter() - t_start
    # ru_maxrss is in KiB on Linux.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    metrics["n_train"] = n_train
    metrics["n_test"] = len(X_test)
    return {"steps": steps, "peak_rss_mb": peak_rss_mb, "metrics": metrics}


def print_report(result: dict[str, Any]) -> None:
    """Print the step timings and the metrics as a plain table."""
    print(f"{'step':<20}{'seconds':>10}")
    print("-" * 30)
    for name in STEP_NAMES:
        print(f"{name:<20}{result['steps'][name]:>10.2f}")
    print("-" * 30)
    print(f"{'peak RSS (MB)':<20}{result['peak_rss_mb']:>10.1f}")
    print()
    width = max(len(k) for k in result["metrics"]) + 2
    for key, value in result["metrics"].items():
        shown = f"{value:.4f}" if isinstance(value, float) else value
        print(f"{key:<{width}}{shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the seed notebook's computation the notebook's way, timed.")
    parser.add_argument("--mnist-dir", type=Path, default=DEFAULT_MNIST_DIR)
    parser.add_argument("--titanic-dir", type=Path, default=DEFAULT_TITANIC_DIR)
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="keep only the first N training rows and N//6 test rows",
    )
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 100:
        parser.error("--limit must be at least 100")

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=UndefinedMetricWarning)

    result = run(args.mnist_dir, args.titanic_dir, args.limit)
    print_report(result)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
