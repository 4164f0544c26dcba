"""How well ``predict digits`` reads photo-like digits, with and without ``--prepare``.

Draws every digit 0-9 three times in each of several fonts (the TrueType fonts matplotlib
ships, so the set is the same on every machine), as a phone or a scanner gives them: dark
ink of a random tone on light paper of a random tone, a random size and place, slightly
blurred, with sensor noise, 240 x 320 RGB PNGs. None of the project's tests uses these
fonts. Each set is then predicted by ``python -m pipelib.predict`` twice: with
``--convert --invert`` (resize the page to 28 x 28, as a user without --prepare would) and
with ``--prepare``. Prints how many are predicted right, per font; ``--figure`` also saves a few
pages beside their prepared 28 x 28 digits.

    python benchmarks/photo_digits.py --model models/mnist/softmax_augmented.skops --figure docs/predict_prepare.png
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipelib.errors import run_stage
from pipelib.mnist import models as mnist_models

FONTS = {
    "DejaVu Sans": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
    "DejaVu Serif": "DejaVuSerif.ttf",
    "DejaVu Serif Italic": "DejaVuSerif-Italic.ttf",
    "DejaVu Sans Mono": "DejaVuSansMono.ttf",
    "STIX General": "STIXGeneral.ttf",
    "STIX General Italic": "STIXGeneralItalic.ttf",
    "Computer Modern Sans": "cmss10.ttf",
}
PAGE = (240, 320)  # width, height: a small phone photo or a scan of one digit
VARIANTS = 3  # drawings of each digit in each font
RUNS = {"--convert --invert": ["--convert", "--invert"], "--prepare": ["--prepare"]}


def font_path(file: str) -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / file


def photo(digit: int, font_file: str, rng: np.random.Generator) -> Image.Image:
    """One digit on a page: random ink and paper tones, size, place, blur and noise."""
    paper, ink = int(rng.integers(185, 246)), int(rng.integers(10, 90))
    font = ImageFont.truetype(str(font_path(font_file)), size=int(rng.integers(90, 200)))
    page = Image.new("L", PAGE, paper)
    draw = ImageDraw.Draw(page)
    left, top, right, bottom = (round(edge) for edge in draw.textbbox((0, 0), str(digit), font=font))
    margin = 12
    x = rng.integers(margin - left, max(margin - left + 1, PAGE[0] - margin - right))
    y = rng.integers(margin - top, max(margin - top + 1, PAGE[1] - margin - bottom))
    draw.text((int(x), int(y)), str(digit), fill=ink, font=font)
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.5)))
    noisy = np.asarray(page, dtype=np.float64)[..., None] + rng.normal(0, 6, size=(PAGE[1], PAGE[0], 3))
    return Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8), mode="RGB")


def write_set(directory: Path, seed: int) -> pd.DataFrame:
    """The pages, all in ``directory``; (font, file, label) of each."""
    rng = np.random.default_rng(seed)
    directory.mkdir()
    rows = []
    for name, font_file in FONTS.items():
        for variant in range(VARIANTS):
            for digit in range(10):
                file = f"{Path(font_file).stem}_{digit}_{variant}.png"
                photo(digit, font_file, rng).save(directory / file)
                rows.append({"font": name, "file": file, "label": digit})
    return pd.DataFrame(rows)


def predicted(directory: Path, model: Path, options: list[str], out: Path) -> pd.Series:
    """The tool's predictions for every page in ``directory``, by file name."""
    command = [sys.executable, "-m", "pipelib.predict", "digits", str(directory), "--model", str(model)]
    subprocess.run([*command, "--out", str(out), *options], check=True)
    return pd.read_csv(out).set_index("file")["predicted"]


def accuracy_table(pages: pd.DataFrame) -> pd.DataFrame:
    """Per font and overall: images, and right / images (share) of each run."""
    groups = [(font, pages[pages["font"] == font]) for font in FONTS] + [("all", pages)]
    return pd.DataFrame(
        [
            {"font": font, "images": len(group)}
            | {run: f"{group[run].sum()} / {len(group)} ({group[run].mean():.0%})" for run in RUNS}
            for font, group in groups
        ]
    ).set_index("font")


def save_figure_of(directory: Path, pages: pd.DataFrame, target: Path) -> None:
    """A few pages beside their prepared 28 x 28 digits."""
    from pipelib.png import save_figure, use_agg
    from pipelib.predict.images import read_digit_png

    use_agg()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, len(pages), figsize=(0.9 * len(pages), 2.2))
    for column, page in enumerate(pages.itertuples()):
        path = directory / page.file
        axes[0, column].imshow(Image.open(path).convert("L"), cmap="gray", vmin=0, vmax=255)
        axes[1, column].imshow(read_digit_png(path, prepare=True).reshape(28, 28), cmap="gray", vmin=0, vmax=255)
        axes[0, column].set_title(page.font.replace("DejaVu ", "").replace("General ", ""), fontsize=6)
    for axis in axes.ravel():
        axis.set_xticks([])
        axis.set_yticks([])
    axes[0, 0].set_ylabel("page", fontsize=7)
    axes[1, 0].set_ylabel("--prepare", fontsize=7)
    save_figure(figure, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("models/mnist/softmax_augmented.skops"))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--figure", type=Path, help="save a few pages beside their prepared digits (PNG)")
    args = parser.parse_args()
    mnist_models.load(args.model)  # a missing or wrong model file is refused before any page is drawn
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "pages"
        pages = write_set(directory, args.seed)
        for run, options in RUNS.items():
            got = predicted(directory, args.model, options, Path(tmp) / "out.csv")
            pages[run] = got.loc[pages["file"]].to_numpy() == pages["label"].to_numpy()
        print(f"{args.model}: digits predicted right, seed {args.seed}")
        print(accuracy_table(pages).to_markdown())
        if args.figure:
            shown = pd.concat(pages[pages["font"] == font].iloc[[index * 3 % 10]] for index, font in enumerate(FONTS))
            save_figure_of(directory, shown, args.figure)


if __name__ == "__main__":
    run_stage(main)
