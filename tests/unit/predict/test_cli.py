"""``python -m pipelib.predict`` in-process (``run_stage(main)``) on tiny inputs and hand-made models.

Every CSV expected below is worked from the models' formulas; every failure is one
``error:`` line, exit status 2 and no output file (docs/predict.md).
"""

from __future__ import annotations

from pathlib import Path

import helpers
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from PIL import Image
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid

from pipelib import skops_file
from pipelib.mnist import models as mnist_models
from pipelib.mnist.dataset import write_mnist
from pipelib.mnist.idx import write_idx_images
from pipelib.predict.__main__ import parser

PASSENGERS_CSV = (
    "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
    '892,3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q\n'
    '893,3,"Wilkes, Mrs. James (Ellen Needs)",female,47,1,0,363272,7,,S\n'
    '894,2,"Myles, Mr. Thomas Francis",male,62,0,0,240276,9.6875,,Q\n'
    '896,1,"Hirvonen, Mrs. Alexander",female,22,1,1,3101298,12.2875,,S\n'
)


run = helpers.run_predict


@pytest.fixture
def softmax(tmp_path: Path) -> Path:
    """score of digit k = pixel k, plus 0.5 for digit 3."""
    coef = np.zeros((10, 784))
    coef[np.arange(10), np.arange(10)] = 1.0
    intercept = np.zeros(10)
    intercept[3] = 0.5
    mnist_models.save(helpers.hand_digit_model(coef, intercept, np.arange(10, dtype=np.uint8)), tmp_path / "s.skops")
    return tmp_path / "s.skops"


@pytest.fixture
def binary(tmp_path: Path) -> Path:
    """score = pixel 0 - 100."""
    coef = np.zeros((1, 784))
    coef[0, 0] = 1.0
    mnist_models.save(helpers.hand_digit_model(coef, np.array([-100.0]), np.array([False, True])), tmp_path / "b.skops")
    return tmp_path / "b.skops"


@pytest.fixture
def titanic(tmp_path: Path) -> Path:
    """0.5 * female + 0.25 * first class - 0.25 * Embarked_Q."""
    model = helpers.hand_titanic_model([0, 0, 0, 0, 0.25, 0, 0, 0.5, 0, 0, -0.25, 0])
    skops_file.save(model, tmp_path / "logistic.skops")
    return tmp_path / "logistic.skops"


def first_pixels(*rows: list[int]) -> np.ndarray:
    pixels = np.zeros((len(rows), 784), dtype=np.uint8)
    for index, values in enumerate(rows):
        pixels[index, : len(values)] = values
    return pixels


def test_a_png_directory_with_the_softmax_model(tmp_path: Path, softmax: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pngs").mkdir()
    for name, pixels in zip(["a.png", "b.png"], first_pixels([0, 9], [5, 5, 5, 5]), strict=True):
        Image.fromarray(pixels.reshape(28, 28), mode="L").save(tmp_path / "pngs" / name)
    assert run(monkeypatch, "digits", tmp_path / "pngs", "--model", softmax, "--out", tmp_path / "p.csv") == 0
    assert (tmp_path / "p.csv").read_text(encoding="utf-8") == (
        "file,predicted," + ",".join(f"score_{digit}" for digit in range(10)) + "\n"
        "a.png,1,0.0,9.0,0.0,0.5,0.0,0.0,0.0,0.0,0.0,0.0\n"
        "b.png,3,5.0,5.0,5.0,5.5,0.0,0.0,0.0,0.0,0.0,0.0\n"  # four 5s: digit 3's 0.5 decides
    )


def test_one_progress_line_when_every_image_is_scored(
    tmp_path: Path, softmax: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fewer images than a block: the one line says all of them are scored, nothing more."""
    write_idx_images(tmp_path / "images.gz", first_pixels([1], [2], [3]))
    assert run(monkeypatch, "digits", tmp_path / "images.gz", "--model", softmax, "--out", tmp_path / "p.csv") == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("] ", 1)[1] for line in lines if "predict:" in line] == ["predict: 3 of 3 images scored"]


@pytest.mark.parametrize("threshold", ["nan", "inf", "-inf"])
def test_a_threshold_that_is_no_finite_number_is_refused(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], threshold: str
) -> None:
    write_idx_images(tmp_path / "images.gz", first_pixels([1]))
    out = tmp_path / "p.csv"
    status = run(
        monkeypatch, "digits", tmp_path / "images.gz", "--model", binary, "--out", out, f"--threshold={threshold}"
    )
    assert failure(capsys, status, out) == f"error: --threshold {float(threshold)}: not a finite number"


def test_convert_and_invert_reach_the_images(tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pngs").mkdir()
    Image.new("RGB", (28, 28), (30, 30, 30)).save(tmp_path / "pngs" / "grey.png")
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", tmp_path / "pngs", "--model", binary, "--out", out, "--convert") == 0
    assert out.read_text(encoding="utf-8") == "file,predicted,score\ngrey.png,False,-70.0\n"
    assert run(monkeypatch, "digits", tmp_path / "pngs", "--model", binary, "--out", out, "--convert", "--invert") == 0
    assert out.read_text(encoding="utf-8") == "file,predicted,score\ngrey.png,True,125.0\n"


def test_prepare_makes_a_photo_an_mnist_digit_for_every_kind_of_model(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dark bar 4 times as tall as wide on a light RGB page: a 20 x 5 white block at rows 4-23, columns 12-16."""
    page = np.full((320, 240, 3), 225, dtype=np.uint8)
    page[100:180, 30:50] = 15
    (tmp_path / "pngs").mkdir()
    Image.fromarray(page, mode="RGB").save(tmp_path / "pngs" / "photo.png")
    coef = np.zeros((10, 784))
    coef[1, 4 * 28 + 12] = coef[1, 23 * 28 + 16] = 1.0  # digit 1: the block's top-left and bottom-right pixels
    coef[7, 0] = 3.0  # digit 7: the frame's corner, which --convert --invert makes paper, 255 - 225 = 30
    softmax = tmp_path / "bar.skops"
    mnist_models.save(helpers.hand_digit_model(coef, np.zeros(10), np.arange(10, dtype=np.uint8)), softmax)
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", tmp_path / "pngs", "--model", softmax, "--out", out, "--prepare") == 0
    assert out.read_text(encoding="utf-8").splitlines()[1] == "photo.png,1,0.0,510.0" + ",0.0" * 8
    assert run(monkeypatch, "digits", tmp_path / "pngs", "--model", binary, "--out", out, "--prepare") == 0
    assert out.read_text(encoding="utf-8") == "file,predicted,score\nphoto.png,False,-100.0\n"  # pixel 0 is paper
    assert run(monkeypatch, "digits", tmp_path / "pngs", "--model", softmax, "--out", out, "--convert", "--invert") == 0
    # the whole page squeezed to 28 x 28: the block's two pixels are paper too, 2 x 30 against 3 x 30
    assert out.read_text(encoding="utf-8").splitlines()[1] == "photo.png,7,0.0,60.0" + ",0.0" * 5 + ",90.0,0.0,0.0"

    out.unlink()
    Image.fromarray(np.full((320, 240), 225, dtype=np.uint8)).save(tmp_path / "pngs" / "blank.png")
    status = run(monkeypatch, "digits", tmp_path / "pngs", "--model", softmax, "--out", out, "--prepare")
    assert failure(capsys, status, out) == (
        f"error: {tmp_path / 'pngs' / 'blank.png'}: no digit found (no ink differs from the paper by 48 grey levels)"
    )
    write_idx_images(tmp_path / "images.gz", first_pixels([1]))
    status = run(monkeypatch, "digits", tmp_path / "images.gz", "--model", softmax, "--out", out, "--prepare")
    assert failure(capsys, status, out) == f"error: {tmp_path / 'images.gz'}: --prepare applies to PNG directories only"


def test_an_idx_file_with_the_binary_model_and_its_threshold(
    tmp_path: Path, binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_idx_images(tmp_path / "images.gz", first_pixels([150], [100], [101]))
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", tmp_path / "images.gz", "--model", binary, "--out", out) == 0
    assert out.read_text(encoding="utf-8") == "row,predicted,score\n0,True,50.0\n1,False,0.0\n2,True,1.0\n"
    assert run(monkeypatch, "digits", tmp_path / "images.gz", "--model", binary, "--out", out, "--threshold", 1) == 0
    assert out.read_text(encoding="utf-8") == "row,predicted,score\n0,True,50.0\n1,False,0.0\n2,False,1.0\n"
    assert run(monkeypatch, "digits", tmp_path / "images.gz", "--model", binary, "--out", out, "--invert") == 0
    assert out.read_text(encoding="utf-8") == "row,predicted,score\n0,True,5.0\n1,True,55.0\n2,True,54.0\n"


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train pixels, train labels, test pixels, test labels): learnable synthetic digits."""
    pixels, labels = helpers.synthetic_digits(240, seed=21)
    return pixels[:200], labels[:200], pixels[200:], labels[200:]


def test_a_knn_model_file_gives_its_probabilities(
    tmp_path: Path, digits, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A registry KNN (float32 images, distance weights): predict and predict_proba of the fitted estimator.

    Half the images scored are random blobs, whose neighbours disagree: probabilities strictly between 0 and 1.
    """
    train, labels, test, test_labels = digits
    model = KNeighborsClassifier(n_neighbors=4, weights="distance").fit(train.astype(np.float32), labels)
    mnist_models.save(model, tmp_path / "knn.skops")
    images = np.concatenate([test[:20], helpers.blob_images(20, seed=4).reshape(20, 784)])
    write_mnist(images, test_labels[:40], tmp_path / "test.parquet")
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", tmp_path / "test.parquet", "--model", tmp_path / "knn.skops", "--out", out) == 0
    table = pd.read_csv(out)
    probabilities = [f"probability_{digit}" for digit in range(10)]
    assert list(table.columns) == ["row", "label", "predicted", *probabilities]
    np.testing.assert_array_equal(table["row"], np.arange(40))
    np.testing.assert_array_equal(table["label"], test_labels[:40])
    np.testing.assert_array_equal(table["predicted"], model.predict(images.astype(np.float32)))
    np.testing.assert_array_equal(table[probabilities], model.predict_proba(images.astype(np.float32)))
    assert (table["predicted"][:20] == test_labels[:20]).all()  # learnt
    assert (table[probabilities].max(axis=1) < 1).sum() >= 5  # neighbours of other classes weigh in
    knn, refused = tmp_path / "knn.skops", tmp_path / "refused.csv"
    status = run(monkeypatch, "digits", tmp_path / "test.parquet", "--model", knn, "--out", refused, "--threshold", 1)
    assert failure(capsys, status, refused) == (
        f"error: {knn}: a multiclass model predicts the top class; --threshold is for binary ones"
    )


def test_a_model_without_scores_writes_only_its_predictions(
    tmp_path: Path, digits, monkeypatch: pytest.MonkeyPatch
) -> None:
    train, labels, test, _ = digits
    model = NearestCentroid(metric="manhattan").fit(train.astype(np.float64), labels)
    mnist_models.save(model, tmp_path / "centroid.skops")
    write_idx_images(tmp_path / "images.gz", test)
    out = tmp_path / "p.csv"
    assert run(monkeypatch, "digits", tmp_path / "images.gz", "--model", tmp_path / "centroid.skops", "--out", out) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["row", "predicted"]
    np.testing.assert_array_equal(table["predicted"], model.predict(test.astype(np.float64)))


def test_passengers_with_the_titanic_model(tmp_path: Path, titanic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "new.csv").write_text(PASSENGERS_CSV, encoding="utf-8")
    out = tmp_path / "survival.csv"
    assert run(monkeypatch, "passengers", tmp_path / "new.csv", "--model", titanic, "--out", out) == 0
    written = pd.read_csv(out)
    assert list(written.columns) == ["PassengerId", "Survived", "score", "probability"]
    assert written.iloc[:, :3].to_csv(index=False) == (
        "PassengerId,Survived,score\n892,0,-0.25\n893,1,0.5\n894,0,-0.25\n896,1,0.75\n"
    )
    np.testing.assert_allclose(written["probability"], 1 / (1 + np.exp(-written["score"])), rtol=1e-15)
    assert (
        run(monkeypatch, "passengers", tmp_path / "new.csv", "--model", titanic, "--out", out, "--threshold", 0.5) == 0
    )
    assert pd.read_csv(out)["Survived"].tolist() == [0, 0, 0, 1]  # 893 scores exactly 0.5


def failure(capsys: pytest.CaptureFixture[str], status: int, out: Path) -> str:
    """The one error line of a run that ended with ``status`` 2 and wrote nothing."""
    assert status == 2
    assert not out.exists()
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_failures_are_one_line_and_write_nothing(
    tmp_path: Path,
    softmax: Path,
    titanic: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "p.csv"
    write_idx_images(tmp_path / "images.gz", first_pixels([1]))
    status = run(monkeypatch, "digits", tmp_path / "images.gz", "--model", softmax, "--out", out, "--threshold", 0)
    assert failure(capsys, status, out) == (
        f"error: {softmax}: a multiclass model predicts the top class; --threshold is for binary ones"
    )
    status = run(monkeypatch, "digits", tmp_path / "images.gz", "--model", titanic, "--out", out)
    assert failure(capsys, status, out) == (
        f"error: {titanic}: a Titanic model, expected an MNIST model (models/mnist/<name>.skops)"
    )
    (tmp_path / "new.csv").write_text(PASSENGERS_CSV.replace(",female,47,", ",x,47,"), encoding="utf-8")
    status = run(monkeypatch, "passengers", tmp_path / "new.csv", "--model", titanic, "--out", out)
    assert failure(capsys, status, out) == (
        f"error: {tmp_path / 'new.csv'}: row 2, column 'Sex': 'x' is not one of female, male"
    )
    status = run(monkeypatch, "passengers", tmp_path / "new.csv", "--model", softmax, "--out", out)
    assert failure(capsys, status, out) == (
        f"error: {softmax}: an MNIST model, expected a Titanic model (models/titanic/<name>.skops)"
    )


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        ([], "command"),
        (["digits", "in", "--out", "o.csv"], "--model"),
        (["digits", "in", "--model", "m.skops"], "--out"),
        (["digits", "--model", "m.skops", "--out", "o.csv"], "input"),
        (["passengers", "in.csv", "--out", "o.csv"], "--model"),
        (["passengers", "in.csv", "--model", "m.skops"], "--out"),
    ],
)
def test_required_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], missing: str
) -> None:
    assert run(monkeypatch, *argv) == 2
    assert capsys.readouterr().err.strip().endswith(f"error: the following arguments are required: {missing}")


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_help_names_every_option(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, "--help") == 0
    top = words(capsys.readouterr().out)
    assert top.startswith("usage: python -m pipelib.predict [-h] {digits,passengers}")
    assert "digits MNIST digits -> file or row, predicted class, decision scores" in top
    assert "passengers Titanic passengers -> PassengerId, Survived, scores" in top
    assert run(monkeypatch, "digits", "--help") == 0
    digits = words(capsys.readouterr().out)
    for text in [
        "usage: python -m pipelib.predict digits [-h] --model MODEL --out OUT [--convert] [--prepare] [--invert] "
        "[--threshold THRESHOLD] input",
        "input a directory of PNGs, a gzipped IDX image file or an MNIST parquet",
        "--model MODEL models/mnist/<name>.skops or models/binary.skops",
        "--out OUT the CSV to write",
        "--convert PNGs: convert other sizes, colour, alpha",
        "--prepare PNGs: crop, scale and centre any digit as MNIST's",
        "--invert dark digits on a light background: invert the pixels",
        "--threshold THRESHOLD binary model: positive above this score (0)",
    ]:
        assert text in digits
    assert run(monkeypatch, "passengers", "--help") == 0
    passengers = words(capsys.readouterr().out)
    for text in [
        "usage: python -m pipelib.predict passengers [-h] --model MODEL --out OUT [--threshold THRESHOLD] input",
        "input a CSV with Kaggle's Titanic columns (Survived not needed)",
        "--model MODEL models/titanic/<name>.skops",
        "--out OUT the CSV to write",
        "--threshold THRESHOLD Survived = 1 above this decision score",
    ]:
        assert text in passengers


def test_the_parser_defaults() -> None:
    digits = parser().parse_args(["digits", "in", "--model", "m.skops", "--out", "o.csv"])
    assert (digits.convert, digits.prepare, digits.invert, digits.threshold) == (False, False, False, None)
    assert (digits.input, digits.model, digits.out) == (Path("in"), Path("m.skops"), Path("o.csv"))
    passengers = parser().parse_args(["passengers", "in.csv", "--model", "m.skops", "--out", "o.csv"])
    assert passengers.threshold is None  # the model's own predict


def test_a_run_gives_freed_arrow_memory_back_to_the_system(
    tmp_path: Path, titanic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = pa.default_memory_pool()
    (tmp_path / "new.csv").write_text(PASSENGERS_CSV, encoding="utf-8")
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        assert (
            run(monkeypatch, "passengers", tmp_path / "new.csv", "--model", titanic, "--out", tmp_path / "o.csv") == 0
        )
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)


# Each case: how --out names a file the run reads, given the directory holding the model m.skops, the input
# in.parquet, new.csv and the PNG directory pngs/; (argv, the expected error line). Every file read is junk:
# the refusal comes before the model or the input is opened, so no other error can come first.
SAME_FILE_CASES = {
    "out is the model": lambda d: (
        ["digits", d / "in.parquet", "--model", d / "m.skops", "--out", d / "m.skops"],
        f"error: --out {d / 'm.skops'} is the model file --model {d / 'm.skops'}: the CSV would replace it",
    ),
    "out is the model by another spelling": lambda d: (
        ["digits", d / "in.parquet", "--model", d / "m.skops", "--out", d / "pngs" / ".." / "." / "m.skops"],
        f"error: --out {d / 'pngs' / '..' / 'm.skops'} is the model file --model {d / 'm.skops'}: "
        "the CSV would replace it",
    ),
    "out is a hard link to the model": lambda d: (
        ["passengers", d / "new.csv", "--model", d / "m.skops", "--out", d / "hard.skops"],
        f"error: --out {d / 'hard.skops'} is the model file --model {d / 'm.skops'}: the CSV would replace it",
    ),
    "out is a symbolic link to the input": lambda d: (
        ["digits", d / "in.parquet", "--model", d / "m.skops", "--out", d / "link.parquet"],
        f"error: --out {d / 'link.parquet'} is the input {d / 'in.parquet'}: the CSV would replace it",
    ),
    "the input is a symbolic link to out": lambda d: (
        ["digits", d / "link.parquet", "--model", d / "m.skops", "--out", d / "in.parquet"],
        f"error: --out {d / 'in.parquet'} is the input {d / 'link.parquet'}: the CSV would replace it",
    ),
    "out is the passengers CSV": lambda d: (
        ["passengers", d / "new.csv", "--model", d / "m.skops", "--out", d / "new.csv"],
        f"error: --out {d / 'new.csv'} is the input {d / 'new.csv'}: the CSV would replace it",
    ),
    "out is a PNG of the input directory": lambda d: (
        ["digits", d / "pngs", "--model", d / "m.skops", "--out", d / "pngs" / "a.PNG"],
        f"error: --out {d / 'pngs' / 'a.PNG'} is a PNG in the input directory {d / 'pngs'}: the CSV would replace it",
    ),
}


@pytest.mark.parametrize("case", sorted(SAME_FILE_CASES))
def test_an_out_that_is_the_model_or_the_input_is_refused_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    (tmp_path / "pngs").mkdir()
    for name, data in {
        "m.skops": b"model",
        "in.parquet": b"digits",
        "new.csv": b"passengers",
        "pngs/a.PNG": b"png",
    }.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "hard.skops").hardlink_to(tmp_path / "m.skops")
    (tmp_path / "link.parquet").symlink_to("in.parquet")
    before = entries(tmp_path)
    argv, line = SAME_FILE_CASES[case](tmp_path)
    assert run(monkeypatch, *argv) == 2
    assert capsys.readouterr().err == line + "\n"
    assert entries(tmp_path) == before  # no file replaced, no temporary file left


@pytest.mark.parametrize("role", ["input", "model", "out"])
def test_a_symlink_loop_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], role: str
) -> None:
    """Comparing --out with the inputs must not stop at a loop (Path.resolve raises RuntimeError on one)."""
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "m.skops").write_bytes(b"model")
    (tmp_path / "in.parquet").write_bytes(b"digits")
    paths = {"input": tmp_path / "in.parquet", "model": tmp_path / "m.skops", "out": tmp_path / "o.csv"}
    paths[role] = tmp_path / "loop"
    status = run(monkeypatch, "digits", paths["input"], "--model", paths["model"], "--out", paths["out"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("error: ") and error.count("\n") == 1 and "Traceback" not in error


def entries(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: a file's bytes, a symbolic link's target."""
    return {
        path.relative_to(root).as_posix(): str(path.readlink()) if path.is_symlink() else path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_symlink() or path.is_file()
    }


def test_an_out_beside_the_inputs_is_written(tmp_path: Path, softmax: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not over-refused: a new file in the model's directory, or a CSV in the PNG directory, is an output like any."""
    scores = "0.0,9.0,0.0,0.5,0.0,0.0,0.0,0.0,0.0,0.0"  # pixel 1 = 9: digit 1 scores 9, digit 3 its 0.5
    write_idx_images(tmp_path / "images.gz", first_pixels([0, 9]))
    (tmp_path / "pngs").mkdir()
    Image.fromarray(first_pixels([0, 9]).reshape(28, 28), mode="L").save(tmp_path / "pngs" / "a.png")
    out = tmp_path / "s.skops.csv"
    assert run(monkeypatch, "digits", tmp_path / "images.gz", "--model", softmax, "--out", out) == 0
    assert out.read_text(encoding="utf-8").splitlines()[1] == f"0,1,{scores}"
    out = tmp_path / "pngs" / "p.csv"
    assert run(monkeypatch, "digits", tmp_path / "pngs", "--model", softmax, "--out", out) == 0
    assert out.read_text(encoding="utf-8").splitlines()[1] == f"a.png,1,{scores}"
