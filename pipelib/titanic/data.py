"""The Kaggle Titanic CSVs: fetched, checksummed, validated and typed.

Each value is checked as it is converted, so a bad file fails with one line naming the
file, the row (1 = first data row, line 2 of the file) and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import Message
from typing import IO, Any

import pyarrow as pa

from pipelib.errors import PipelineError
from pipelib.mirror import MIRROR_ENV, find_mirror, mirror_checksums, read_verified

# sha256 of ageron/handson-ml2 datasets/titanic/{train,test}.csv (../shared/data/README.md).
PUBLISHED_SHA256 = {
    "train.csv": "14769fb1850e2d26d8e6db0ee49c213878040432827e39b13caaa15603c6598f",
    "test.csv": "d88facfbcf53fe855b1c15290521aee9c61b3a6283631fa953983a95bacf1399",
}
DOWNLOAD_TIMEOUT_SECONDS = 30
DOWNLOAD_ATTEMPTS = 3
DOWNLOAD_MAX_BYTES = 10 * 1024 * 1024  # the real train.csv is 61 kB
# Bounds on what a passengers file may hold, checked here and again before a parquet file is read.
MAX_PASSENGERS = 10_000  # the Titanic carried about 2,224 people; Kaggle's files hold 891 + 418
MAX_TEXT_CHARS = 256  # a Name, Ticket or Cabin; the longest in Kaggle's files is an 82-character Name
SEXES = ("female", "male")
PORTS = ("C", "Q", "S")
CLASSES = (1, 2, 3)

PASSENGER_FIELDS = [
    ("PassengerId", pa.int32()),
    ("Survived", pa.int8()),
    ("Pclass", pa.int8()),
    ("Name", pa.string()),
    ("Sex", pa.string()),
    ("Age", pa.float64()),
    ("SibSp", pa.int16()),
    ("Parch", pa.int16()),
    ("Ticket", pa.string()),
    ("Fare", pa.float64()),
    ("Cabin", pa.string()),
    ("Embarked", pa.string()),
]
TRAIN_SCHEMA = pa.schema(PASSENGER_FIELDS)
TEST_SCHEMA = pa.schema([item for item in PASSENGER_FIELDS if item[0] != "Survived"])


# A number as Kaggle's files and spreadsheets write one: ASCII digits with at most one point, an optional
# exponent and sign. Python's float() takes more, and reads it as another number: '2_8' is 28.0, '7_25'
# 725.0, fullwidth or Arabic-Indic digits are digits, and 'nan', 'inf', 'infinity' are numbers.
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NOT_DECIMAL = "not a decimal number (ASCII digits with at most one '.' and an optional exponent, as 7.25 or 1e2)"
# Upper bounds on the measured columns: every real value is far below them, and the preprocessing's
# arithmetic stays far from float64's overflow (the StandardScaler squares each value: 1e200 squared is
# inf, and the fit then sees NaN).
MAX_AGE = 150  # years: no human is known to have lived past 122 (Jeanne Calment, 1875-1997)
MAX_FARE = 1_000_000  # Kaggle's dearest ticket is 512.3292 (pounds of 1912); no passage ever cost near this


def _float(text: str) -> float:
    if DECIMAL.fullmatch(text) is None:
        raise ValueError(NOT_DECIMAL)
    return float(text)


def _integer(text: str) -> int:
    number = _float(text)
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def _count(text: str) -> int:
    number = _integer(text)
    if number < 0:
        raise ValueError("not a count >= 0")
    return number


def _up_to(maximum: int, what: str) -> Callable[[str], float]:
    """A converter to a number from 0 to ``maximum`` (refused as "not <what> from 0 to <maximum>")."""

    def check(text: str) -> float:
        number = _float(text)
        if not 0 <= number <= maximum:  # 1e400 is read as inf, and refused here
            raise ValueError(f"not {what} from 0 to {maximum:,}")
        return number

    return check


def _text(text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"longer than {MAX_TEXT_CHARS} characters")
    return text


def _one_of(allowed: tuple[Any, ...], convert: Callable[[str], Any] = str) -> Callable[[str], Any]:
    def check(text: str) -> Any:
        value = convert(text)
        if value not in allowed:
            raise ValueError(f"not one of {', '.join(map(str, allowed))}")
        return value

    return check


# column -> (converter, may be empty)
CONVERTERS: dict[str, tuple[Callable[[str], Any], bool]] = {
    "PassengerId": (_integer, False),
    "Survived": (_one_of((0, 1), _integer), False),
    "Pclass": (_one_of(CLASSES, _integer), False),
    "Name": (_text, False),
    "Sex": (_one_of(SEXES), False),
    "Age": (_up_to(MAX_AGE, "an age"), True),
    "SibSp": (_count, False),
    "Parch": (_count, False),
    "Ticket": (_text, True),
    "Fare": (_up_to(MAX_FARE, "a fare"), True),
    "Cabin": (_text, True),
    "Embarked": (_one_of(PORTS), True),
}


# The columns the model's preprocessing imputes (pipelib.titanic.model NUMERIC and CATEGORICAL) that may
# be empty. Training passengers need a value in each: the imputers learn from them what fills a missing
# one, and on a column with none scikit-learn only warns and drops it, leaving a model whose imputer
# statistics hold NaN (refused when loaded). Passengers to predict may lack them all.
IMPUTED_OPTIONAL = ("Age", "Fare", "Embarked")


def check_training_values(values: dict[str, int], source: str) -> None:
    """Refuse training passengers with no value at all in a column the preprocessing imputes.

    ``values`` holds, for each of :data:`IMPUTED_OPTIONAL`, how many passengers have a value.
    """
    for name in IMPUTED_OPTIONAL:
        if values[name] == 0:
            raise PipelineError(
                f"{source}: column '{name}' is empty in every row; training needs some values to fill the missing ones"
            )


def _parse_row(
    row: list[str],
    row_number: int,
    header: list[str],
    positions: dict[str, int],
    columns: dict[str, list[Any]],
    source: str,
) -> None:
    """Append one CSV row's checked values to ``columns``."""
    if len(row) != len(header):
        raise PipelineError(f"{source}: row {row_number} has {len(row)} fields, the header has {len(header)}")
    for name, position in positions.items():
        text = row[position].strip()
        convert, optional = CONVERTERS[name]
        if text == "":
            if not optional:
                raise PipelineError(f"{source}: row {row_number}, column '{name}': missing value")
            columns[name].append(None)
            continue
        try:
            columns[name].append(convert(text))
        except ValueError as error:
            shown = repr(text) if len(text) <= 40 else f"{text[:40]!r}..."
            raise PipelineError(f"{source}: row {row_number}, column '{name}': {shown} is {error}") from None


def decode_csv(data: bytes, source: str) -> str:
    """A passengers CSV's bytes as text, however it was fetched or given (``python -m pipelib.predict``).

    UTF-8 (a byte order mark is left for :func:`parse_passengers`); every line ending Excel
    writes becomes a newline, as universal newlines read them: CR LF ("CSV (MS-DOS)", Windows),
    LF, and CR alone ("CSV (Macintosh)" of old Mac Excel).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PipelineError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# What Excel writes as "CSV" where the decimal separator is a comma (much of Europe), and "Text (Tab delimited)".
OTHER_SEPARATORS = {";": "';'", "\t": "tabs"}


def _positions(names: list[str], required: list[str], source: str) -> dict[str, int]:
    """Where each required column is in the header (its names stripped, as values are); one line if it cannot be told.

    A header whose required names appear only once split at ';' or a tab is said to be
    separated by that, rather than listed as missing every column.
    """
    missing = [name for name in required if name not in names]
    if missing:
        for separator, shown in OTHER_SEPARATORS.items():
            split = {part.strip() for name in names for part in name.split(separator)}
            if all(name in split for name in missing):
                raise PipelineError(f"{source}: the file is separated by {shown} where ',' is expected")
        raise PipelineError(f"{source}: missing required column(s) {', '.join(missing)}")
    for name in required:
        found = [str(position + 1) for position, other in enumerate(names) if other == name]
        if len(found) > 1:
            raise PipelineError(
                f"{source}: column '{name}' appears {len(found)} times in the header (columns {', '.join(found)})"
            )
    return {name: names.index(name) for name in required}


def parse_passengers(text: str, source: str, schema: pa.Schema) -> pa.Table:
    """Validate a Titanic CSV's text and convert it to a typed table with ``schema``.

    A leading byte order mark (Excel's "CSV UTF-8") is not part of the first column's name.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = next(reader, None)
        if not header:
            raise PipelineError(f"{source}: empty file, expected a header row")
        positions = _positions([name.strip() for name in header], schema.names, source)
        columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        ids = columns["PassengerId"]
        for row_number, row in enumerate(reader, start=1):
            if row_number > MAX_PASSENGERS:  # blank lines count: a file of them is not read whole
                raise PipelineError(f"{source}: row {row_number}: more than the {MAX_PASSENGERS:,} passengers allowed")
            if row:
                _parse_row(row, row_number, header, positions, columns, source)
    except csv.Error as error:
        raise PipelineError(f"{source}: line {reader.line_num} is not readable as CSV ({error})") from None
    if not ids:
        raise PipelineError(f"{source}: no data rows")
    if len(set(ids)) != len(ids):
        raise PipelineError(f"{source}: column 'PassengerId' has duplicate values")
    if "Survived" in schema.names:
        check_training_values(
            {name: sum(value is not None for value in columns[name]) for name in IMPUTED_OPTIONAL}, source
        )
    try:
        return pa.table({name: pa.array(columns[name], type=schema.field(name).type) for name in schema.names})
    except (pa.ArrowInvalid, OverflowError) as error:
        raise PipelineError(f"{source}: value out of range for its column type ({error})") from None


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to https:// URLs: a downgrade to http:// is refused, not followed."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Message, newurl: str
    ) -> urllib.request.Request | None:
        if not newurl.startswith("https://"):
            raise PipelineError(f"refusing the redirect of {req.full_url} to {newurl}: only https:// URLs are used")
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


_OPENER = urllib.request.build_opener(_HttpsOnlyRedirects)


def download(url: str) -> bytes:
    """GET an https URL with a timeout, a size limit and a bounded number of attempts.

    Nothing is written to disk here: the bytes are checked (sha256) before anything is stored,
    so a failed or cut-off download leaves no partial file behind.
    """
    if not url.startswith("https://"):
        raise PipelineError(f"refusing to download {url}: only https:// URLs are used")
    last_error: Exception | None = None
    for attempt in range(DOWNLOAD_ATTEMPTS):
        if attempt:
            time.sleep(2 ** (attempt - 1))
        try:
            with _OPENER.open(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
                payload = response.read(DOWNLOAD_MAX_BYTES + 1)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise
            last_error = error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            last_error = error
        else:
            if len(payload) > DOWNLOAD_MAX_BYTES:
                raise PipelineError(f"{url}: larger than {DOWNLOAD_MAX_BYTES:,} bytes, not the expected CSV")
            return payload
    raise PipelineError(
        f"cannot download {url} after {DOWNLOAD_ATTEMPTS} attempts ({last_error}); "
        f"offline, set {MIRROR_ENV} to a directory holding titanic/train.csv"
    )


def fetch_csv(name: str, base_url: str, required: bool) -> tuple[str, str] | None:
    """(text, source) of ``train.csv`` or ``test.csv`` from the mirror or the URL, checksum verified.

    None when an optional file is absent from the mirror or the server.
    """
    mirror = find_mirror("titanic")
    if mirror is not None:
        path = mirror / name
        if not (path.exists() or path.is_symlink()) and not required:
            return None
        data = read_verified(mirror, name, mirror_checksums(mirror, PUBLISHED_SHA256, "sha256"), DOWNLOAD_MAX_BYTES)
        return decode_csv(data, str(path)), str(path)  # decoded from the bytes that were checked
    url = base_url.rstrip("/") + "/" + name
    try:
        payload = download(url)
    except urllib.error.HTTPError as error:
        if required:
            raise PipelineError(f"cannot download {url} (HTTP {error.code})") from None
        return None
    actual = hashlib.sha256(payload).hexdigest()
    if actual != PUBLISHED_SHA256[name]:
        raise PipelineError(f"{url}: sha256 {actual} does not match the recorded {PUBLISHED_SHA256[name]}")
    return decode_csv(payload, url), url
