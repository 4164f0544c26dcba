"""fetch (Titanic): train.csv (and test.csv where present) validated and typed into parquet.

An absent test.csv gives an empty test table, so the outputs DVC tracks always exist.
"""

from __future__ import annotations

import argparse
import sys

from pipelib.errors import run_stage
from pipelib.params import load_params
from pipelib.tables import write_table
from pipelib.titanic.data import TEST_SCHEMA, TRAIN_SCHEMA, fetch_csv, parse_passengers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    args = parser.parse_args()
    url = load_params().titanic.source.url
    fetched_train = fetch_csv("train.csv", url, required=True)
    assert fetched_train is not None  # required=True raises instead of returning None
    train = parse_passengers(*fetched_train, TRAIN_SCHEMA)
    fetched_test = fetch_csv("test.csv", url, required=False)
    if fetched_test is None:
        print("fetch: no test.csv; writing an empty test table (no Kaggle predictions)", file=sys.stderr)
        test = TEST_SCHEMA.empty_table()
    else:
        test = parse_passengers(*fetched_test, TEST_SCHEMA)
    write_table(train, args.train)
    write_table(test, args.test)


if __name__ == "__main__":
    run_stage(main)
