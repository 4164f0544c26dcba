"""Titanic: CSV validation, the preprocessing and model against the fitted scikit-learn pipeline."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import helpers
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import Pipeline

from pipelib.errors import PipelineError
from pipelib.params import TitanicModelEntry
from pipelib.tables import write_table
from pipelib.titanic.data import PUBLISHED_SHA256, TEST_SCHEMA, TRAIN_SCHEMA, fetch_csv, parse_passengers
from pipelib.titanic.frames import read_passengers
from pipelib.titanic.model import build, feature_names, fit_quietly, load, model_inputs, out_of_fold, save

FEATURES = helpers.TITANIC_FEATURES
LOGISTIC = TitanicModelEntry(
    estimator="sklearn.linear_model.LogisticRegression",
    params={"C": 1.0, "max_iter": 100, "random_state": 0},
    preprocess=[],
)
REAL_TRAIN = helpers.SHARED_DATA / "titanic" / "train.csv"


@pytest.fixture
def passengers(titanic_text: str) -> pd.DataFrame:
    """The small training CSV parsed to a frame."""
    return parse_passengers(titanic_text, "small.csv", TRAIN_SCHEMA).to_pandas()


def fit(passengers: pd.DataFrame, entry: TitanicModelEntry = LOGISTIC) -> Pipeline:
    """The entry's Pipeline fitted on the passengers."""
    return fit_quietly(build(entry), model_inputs(passengers), passengers["Survived"].to_numpy().astype(np.int64))


def test_small_csv_covers_every_category(passengers: pd.DataFrame) -> None:
    assert set(passengers["Pclass"]) == {1, 2, 3}
    assert set(passengers["Sex"]) == {"female", "male"}
    assert set(passengers["Embarked"].dropna()) == {"C", "Q", "S"}
    assert passengers["Age"].isna().any()
    assert passengers["Embarked"].isna().any()
    assert set(passengers["Survived"]) == {0, 1}


def test_parse_types(passengers: pd.DataFrame, titanic_text: str) -> None:
    table = parse_passengers(titanic_text, "small.csv", TRAIN_SCHEMA)
    assert table.schema == TRAIN_SCHEMA
    assert len(passengers) == 48
    assert passengers["Name"].iloc[0] == 'Surname0, Mrs. Given "Nick" Name'
    assert passengers["PassengerId"].tolist() == list(range(1, 49))


def test_feature_names(passengers: pd.DataFrame) -> None:
    assert feature_names(fit(passengers)) == FEATURES


def test_imputation_uses_training_statistics(passengers: pd.DataFrame) -> None:
    matrix = fit(passengers)[:-1].transform(model_inputs(passengers))
    rows = passengers["Age"].isna().to_numpy()
    np.testing.assert_array_equal(matrix[rows, 0], np.nanmedian(passengers["Age"]))


def unusual_passengers() -> pd.DataFrame:
    """Passengers the training data never showed: an unseen Sex, missing Embarked and Fare."""
    return pd.DataFrame(
        {
            "PassengerId": [900, 901, 902],
            "Pclass": pd.array([3, 1, 2], dtype="int8"),
            "Sex": ["unknown", "female", None],
            "Age": [30.0, None, 4.0],
            "SibSp": pd.array([0, 1, 2], dtype="int16"),
            "Parch": pd.array([0, 0, 1], dtype="int16"),
            "Fare": [None, 80.0, 20.0],
            "Embarked": [None, "C", "X"],
        }
    )


def test_unseen_and_missing_categories(passengers: pd.DataFrame) -> None:
    got = fit(passengers)[:-1].transform(model_inputs(unusual_passengers()))
    assert got.shape == (3, 12)
    assert np.isfinite(got).all()
    sex = got[:, FEATURES.index("Female") : FEATURES.index("Male") + 1]
    assert sex[0].tolist() == [0.0, 0.0]  # unseen: all zeros, as handle_unknown="ignore"
    embarked = got[:, FEATURES.index("Embarked_C") :]
    assert embarked[2].tolist() == [0.0, 0.0, 0.0]
    assert embarked[0].sum() == 1.0  # missing: the most frequent port


def test_model_file_round_trip_gives_the_same_bytes_and_predictions(tmp_path: Path, passengers: pd.DataFrame) -> None:
    fitted = fit(passengers)
    save(fitted, tmp_path / "logistic.skops")
    loaded = load(tmp_path / "logistic.skops")
    assert feature_names(loaded) == FEATURES
    for frame in (passengers, unusual_passengers()):
        np.testing.assert_array_equal(
            loaded.decision_function(model_inputs(frame)), fitted.decision_function(model_inputs(frame))
        )
    save(fit(passengers), tmp_path / "again.skops")  # a second fit: the same bytes
    assert (tmp_path / "logistic.skops").read_bytes() == (tmp_path / "again.skops").read_bytes()


def test_out_of_fold_is_the_books_cross_validation(passengers: pd.DataFrame) -> None:
    """Preprocessing fitted once on every row, then ``cross_val_predict`` of the estimator on that matrix."""
    target = passengers["Survived"].to_numpy().astype(np.int64)
    inputs = model_inputs(passengers)
    fold, found = out_of_fold(build(LOGISTIC), inputs, target, 3, "titanic.models.logistic.params")
    matrix = build(LOGISTIC)[0].fit_transform(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = cross_val_predict(build(LOGISTIC)[-1], matrix, target, cv=3, method="decision_function")
        probability = cross_val_predict(build(LOGISTIC)[-1], matrix, target, cv=3, method="predict_proba")[:, 1]
    assert found.score is not None and found.probability is not None
    np.testing.assert_allclose(found.score, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(found.probability, probability, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(found.survived, expected > 0)
    assert sorted(set(fold.tolist())) == [0, 1, 2]


@pytest.mark.parametrize(
    ("entry", "refusal"),
    [
        (
            TitanicModelEntry(
                estimator="sklearn.neighbors.KNeighborsClassifier", params={"n_neighbors": 40}, preprocess=[]
            ),
            "scoring fold 1 of 3 (titanic.cv_folds; 32 training rows): Expected n_neighbors <= n_samples_fit, "
            "but n_neighbors = 40, n_samples_fit = 32, n_samples = 16",
        ),
        (
            TitanicModelEntry(
                estimator="sklearn.linear_model.LogisticRegression", params={"penalty": "l1"}, preprocess=[]
            ),
            "fitting fold 1 of 3 (titanic.cv_folds; 32 training rows): Solver lbfgs supports only 'l2' or None "
            "penalties, got l1 penalty.",
        ),
    ],
    ids=["knn-more-neighbours-than-fold-rows", "l1-with-lbfgs"],
)
def test_scikit_learn_refusing_an_entry_on_a_fold_is_one_line_naming_its_params(
    passengers: pd.DataFrame, entry: TitanicModelEntry, refusal: str, recwarn: pytest.WarningsRecorder
) -> None:
    """48 passengers in 3 stratified folds: each fold is fitted on 32 of them and scores the other 16."""
    target = passengers["Survived"].to_numpy().astype(np.int64)
    with pytest.raises(PipelineError) as caught:
        out_of_fold(build(entry), model_inputs(passengers), target, 3, "titanic.models.odd.params")
    assert str(caught.value) == f"params.yaml: 'titanic.models.odd.params' refused by scikit-learn when {refusal}"


def test_a_model_without_scores_gives_predictions_only(passengers: pd.DataFrame) -> None:
    entry = TitanicModelEntry(estimator="sklearn.svm.SVC", params={}, preprocess=["scale_numeric"])
    target = passengers["Survived"].to_numpy().astype(np.int64)
    _, found = out_of_fold(build(entry), model_inputs(passengers), target, 3, "titanic.models.svc.params")
    assert found.probability is None and found.score is not None  # SVC: a decision function, no probabilities
    forest = TitanicModelEntry(estimator="sklearn.neighbors.KNeighborsClassifier", params={}, preprocess=[])
    _, found = out_of_fold(build(forest), model_inputs(passengers), target, 3, "titanic.models.knn.params")
    assert found.score is None and found.probability is not None


def test_typed_parquet_round_trip(tmp_path: Path, titanic_text: str) -> None:
    path = tmp_path / "train.parquet"
    write_table(parse_passengers(titanic_text, "small.csv", TRAIN_SCHEMA), path)
    frame = read_passengers(path, labelled=True)
    assert len(frame) == 48
    with pytest.raises(PipelineError, match=r"train\.parquet: columns"):
        read_passengers(path, labelled=False)


def test_test_csv_without_survived(titanic_text: str) -> None:
    rows = helpers.titanic_rows(12, seed=9, first_id=100)
    table = parse_passengers(helpers.titanic_csv_text(rows, labelled=False), "test.csv", TEST_SCHEMA)
    assert table.schema == TEST_SCHEMA
    assert table.num_rows == 12


@pytest.mark.skipif(not REAL_TRAIN.is_file(), reason="no ../shared/data/titanic/train.csv")
def test_real_training_file() -> None:
    passengers = parse_passengers(REAL_TRAIN.read_text(encoding="utf-8"), str(REAL_TRAIN), TRAIN_SCHEMA).to_pandas()
    fitted = fit(passengers)
    inputs = model_inputs(passengers)
    assert fitted[:-1].transform(inputs).shape == (891, 12)  # the seed's preprocessed matrix
    assert feature_names(fitted) == FEATURES
    target = passengers["Survived"].to_numpy() == 1
    accuracy = float(np.mean((fitted.decision_function(inputs) > 0) == target))
    assert accuracy == pytest.approx(0.8047, abs=0.005)  # the seed's; 0.8058 on AMD
    assert accuracy == pytest.approx(float(np.mean(fitted.predict(inputs) == target)))


# --- schema errors -------------------------------------------------------------------------------


def broken_csv(column: str, row: int, value: str, n: int = 20) -> str:
    """The small CSV with data row ``row`` (1-based) holding ``value`` in ``column``."""
    rows = helpers.titanic_rows(n, seed=5)
    rows[row - 1][column] = value
    return helpers.titanic_csv_text(rows, labelled=True)


@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("Age", 4, "twenty"),
        ("Age", 12, "-3"),
        ("Fare", 2, "nan"),
        ("Sex", 7, "Female"),
        ("Sex", 1, "x"),
        ("Survived", 13, "2"),
        ("Survived", 3, ""),
        ("Pclass", 9, "4"),
        ("Embarked", 6, "X"),
        ("SibSp", 5, "1.5"),
        ("PassengerId", 20, "abc"),
        ("Name", 8, ""),
    ],
)
def test_bad_value_names_file_row_and_column(column: str, row: int, value: str) -> None:
    with pytest.raises(PipelineError) as caught:
        parse_passengers(broken_csv(column, row, value), "mirror/titanic/train.csv", TRAIN_SCHEMA)
    message = str(caught.value)
    assert message.startswith("mirror/titanic/train.csv: ")
    assert re.search(rf"\brow {row}\b", message), message
    assert f"'{column}'" in message


@pytest.mark.parametrize("column", ["Age", "Survived", "Embarked", "PassengerId"])
def test_missing_required_column(column: str) -> None:
    text = helpers.titanic_csv_text(helpers.titanic_rows(10, seed=5), labelled=True, drop=[column])
    assert column not in text.splitlines()[0].split(",")
    with pytest.raises(PipelineError, match=rf"^train\.csv: missing required column\(s\) {column}$"):
        parse_passengers(text, "train.csv", TRAIN_SCHEMA)


def test_short_row_names_row() -> None:
    text = broken_csv("Age", 1, "30.0")
    lines = text.splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]
    with pytest.raises(PipelineError, match=r"^train\.csv: row 3 has 11 fields"):
        parse_passengers("\n".join(lines) + "\n", "train.csv", TRAIN_SCHEMA)


@pytest.mark.parametrize(
    ("text", "pattern"), [("", "empty file"), (",".join(helpers.TITANIC_COLUMNS) + "\n", "no data rows")]
)
def test_empty_inputs(text: str, pattern: str) -> None:
    with pytest.raises(PipelineError, match=rf"^train\.csv: {pattern}"):
        parse_passengers(text, "train.csv", TRAIN_SCHEMA)


def test_duplicate_passenger_ids() -> None:
    text = broken_csv("PassengerId", 2, "1")
    with pytest.raises(PipelineError, match=r"^train\.csv: column 'PassengerId' has duplicate"):
        parse_passengers(text, "train.csv", TRAIN_SCHEMA)


# --- the mirror ----------------------------------------------------------------------------------


@pytest.fixture
def titanic_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror's titanic/ directory (30 + 10 passengers, with SHA256SUMS, trusted), named by DATA_MIRROR."""
    monkeypatch.setenv("DATA_MIRROR", str(tmp_path))
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    return helpers.write_titanic_mirror(tmp_path, n_train=30, n_test=10, seed=2)


def test_fetch_from_mirror_with_sha256sums(titanic_mirror: Path) -> None:
    fetched = fetch_csv("train.csv", "https://invalid.example/", required=True)
    assert fetched is not None
    text, source = fetched
    assert source == str(titanic_mirror / "train.csv")
    assert parse_passengers(text, source, TRAIN_SCHEMA).num_rows == 30


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["windows-crlf", "old-mac-cr"])
def test_fetch_reads_excel_line_endings_as_newlines(titanic_mirror: Path, newline: bytes) -> None:
    lf = (titanic_mirror / "train.csv").read_bytes()
    (titanic_mirror / "train.csv").write_bytes(lf.replace(b"\n", newline))
    helpers.write_sha256sums(titanic_mirror, ["train.csv", "test.csv"])
    fetched = fetch_csv("train.csv", "https://invalid.example/", required=True)
    assert fetched is not None and fetched[0] == lf.decode("utf-8")


def test_fetch_sha256_mismatch(titanic_mirror: Path) -> None:
    with open(titanic_mirror / "train.csv", "a", encoding="utf-8") as stream:
        stream.write("\n")
    with pytest.raises(PipelineError, match=r"train\.csv: sha256 [0-9a-f]{64} does not match"):
        fetch_csv("train.csv", "https://invalid.example/", required=True)


def test_fetch_checks_published_sha256_without_sha256sums(titanic_mirror: Path) -> None:
    (titanic_mirror / "SHA256SUMS").unlink()
    with pytest.raises(PipelineError, match=f"does not match the recorded {PUBLISHED_SHA256['train.csv']}"):
        fetch_csv("train.csv", "https://invalid.example/", required=True)


def test_fetch_optional_test_csv_absent(titanic_mirror: Path) -> None:
    (titanic_mirror / "test.csv").unlink()
    assert fetch_csv("test.csv", "https://invalid.example/", required=False) is None
    with pytest.raises(PipelineError, match=r"test\.csv: file not found"):
        fetch_csv("test.csv", "https://invalid.example/", required=True)


def test_mirror_without_titanic_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MIRROR", str(tmp_path))
    with pytest.raises(PipelineError, match=r"^DATA_MIRROR=.*: no 'titanic' directory"):
        fetch_csv("train.csv", "https://invalid.example/", required=True)
