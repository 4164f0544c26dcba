"""train (softmax): multinomial logistic regression on all ten digits.

One script for both softmax models; ``--name`` picks the params section
(``mnist.softmax`` or ``mnist.softmax_augmented``), so changing one model's ``C``
retrains that model only.
"""

from __future__ import annotations

import argparse

from pipelib.errors import run_stage
from pipelib.mnist.dataset import MAX_AUGMENTED_IMAGES, MAX_IMAGES, read_mnist
from pipelib.mnist.features import as_features
from pipelib.mnist.fitting import fit_logistic, save_model
from pipelib.params import load_params
from pipelib.tables import use_system_allocator

# model name -> the most images its training set may hold
MODEL_NAMES = {"softmax": MAX_IMAGES, "softmax_augmented": MAX_AUGMENTED_IMAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True, choices=list(MODEL_NAMES))
    parser.add_argument("--train", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    use_system_allocator()
    params = getattr(load_params().mnist, args.name)
    pixels, labels = read_mnist(args.train, max_rows=MODEL_NAMES[args.name])
    features = as_features(pixels, params.dtype, params.matrix)
    del pixels
    model = fit_logistic(features, labels, params, args.name)
    save_model(args.model, model, params, len(labels))


if __name__ == "__main__":
    run_stage(main)
