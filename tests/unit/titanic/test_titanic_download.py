"""Fetching the Titanic CSVs: a real HTTPS server on 127.0.0.1 and real mirror directories, no network.

The server's certificate (localhost-cert.pem, self-signed for IP 127.0.0.1, valid until 2126;
its key beside it is for these tests only) is trusted through SSL_CERT_FILE, which
OpenSSL reads for every new connection, so the library's own opener is used unchanged.
The waits between attempts are recorded instead of slept.
"""

from __future__ import annotations

import threading
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import helpers
import pytest

from pipelib.errors import PipelineError
from pipelib.titanic import data as titanic_data
from pipelib.titanic.data import TRAIN_SCHEMA, download, fetch_csv, parse_passengers

CERT = Path(__file__).with_name("localhost-cert.pem")
KEY = Path(__file__).with_name("localhost-key.pem")
# sha256 of Kaggle's files as handson-ml2 publishes them (../shared/data/README.md)
TRAIN_SHA256 = "14769fb1850e2d26d8e6db0ee49c213878040432827e39b13caaa15603c6598f"
TEST_SHA256 = "d88facfbcf53fe855b1c15290521aee9c61b3a6283631fa953983a95bacf1399"
MIB = 1024 * 1024
REAL = helpers.SHARED_DATA / "titanic"
KAGGLE_HEADER = "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked"


class Site:
    """What the server answers at each path, in order (the last answer repeats); every request's path."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.answers: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.requests: list[str] = []

    def serve(self, path: str, *answers: tuple[int, dict[str, str], bytes]) -> str:
        self.answers[path] = list(answers)
        return self.root + path

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(path)
        queue = self.answers.get(path, [(404, {}, b"not here")])
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture(scope="module")
def server() -> Iterator[Site]:
    """One HTTPS server on 127.0.0.1 for the module; each test gets it through ``site``, emptied."""
    import ssl

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = served.answer(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    served = Site(f"https://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def site(server: Site, monkeypatch: pytest.MonkeyPatch) -> Site:
    """The server, with no answers and no requests yet, its certificate trusted and no proxy in the way."""
    server.answers.clear()
    server.requests.clear()
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    return server


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds download() waits between attempts, recorded rather than slept."""
    recorded: list[float] = []
    monkeypatch.setattr(titanic_data.time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def no_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No DATA_MIRROR and no ../shared/data beside the working directory: fetch_csv downloads."""
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")


def ok(body: bytes) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, body


def test_download_returns_the_body_at_once(site: Site, waits: list[float]) -> None:
    url = site.serve("/data/train.csv", ok(b"PassengerId\n1\n"))
    assert download(url) == b"PassengerId\n1\n"
    assert (site.requests, waits) == (["/data/train.csv"], [])


@pytest.mark.parametrize("scheme", ["http", "ftp"])
def test_download_refuses_other_schemes_without_connecting(site: Site, waits: list[float], scheme: str) -> None:
    url = site.serve("/train.csv", ok(b"x")).replace("https", scheme, 1)
    with pytest.raises(PipelineError, match=f"^refusing to download {url}: only https:// URLs are used$"):
        download(url)
    assert site.requests == []


def test_download_gives_up_after_three_attempts_waiting_1_then_2_seconds(site: Site, waits: list[float]) -> None:
    url = site.serve("/train.csv", (503, {}, b"busy"))
    expected = (
        f"cannot download {url} after 3 attempts (HTTP Error 503: Service Unavailable); "
        "offline, set DATA_MIRROR to a directory holding titanic/train.csv"
    )
    with pytest.raises(PipelineError) as caught:
        download(url)
    assert str(caught.value) == expected
    assert site.requests == ["/train.csv"] * 3
    assert waits == [1, 2]


def test_download_retries_until_an_answer(site: Site, waits: list[float]) -> None:
    url = site.serve("/train.csv", (500, {}, b"oops"), (502, {}, b"gateway"), ok(b"third time"))
    assert download(url) == b"third time"
    assert waits == [1, 2]


def test_a_missing_file_is_not_retried(site: Site, waits: list[float]) -> None:
    url = site.root + "/nothing.csv"
    with pytest.raises(urllib.error.HTTPError) as caught:
        download(url)
    assert caught.value.code == 404
    assert (site.requests, waits) == (["/nothing.csv"], [])


def test_ten_mebibytes_are_accepted_and_one_byte_more_refused(site: Site, waits: list[float]) -> None:
    exact = site.serve("/exact.csv", ok(b"x" * (10 * MIB)))
    assert len(download(exact)) == 10 * MIB
    over = site.serve("/over.csv", ok(b"x" * (10 * MIB + 1)))
    with pytest.raises(PipelineError, match=f"^{over}: larger than 10,485,760 bytes, not the expected CSV$"):
        download(over)
    assert waits == []


def test_redirects_are_followed_to_https_only(site: Site, waits: list[float]) -> None:
    target = site.serve("/new/train.csv", ok(b"moved"))
    moved = site.serve("/train.csv", (302, {"Location": target}, b""))
    assert download(moved) == b"moved"
    assert site.requests == ["/train.csv", "/new/train.csv"]
    plain = target.replace("https://", "http://")
    downgrade = site.serve("/old.csv", (301, {"Location": plain}, b""))
    with pytest.raises(PipelineError) as caught:
        download(downgrade)
    assert str(caught.value) == f"refusing the redirect of {downgrade} to {plain}: only https:// URLs are used"


# --- fetch_csv: the URL when there is no mirror ---------------------------------------------------


@pytest.mark.usefixtures("no_mirror")
@pytest.mark.parametrize(("name", "recorded"), [("train.csv", TRAIN_SHA256), ("test.csv", TEST_SHA256)])
def test_a_download_must_have_the_published_sha256(site: Site, waits: list[float], name: str, recorded: str) -> None:
    url = site.serve(f"/titanic/{name}", ok(b"PassengerId,Survived\n1,0\n"))
    pattern = f"^{url}: sha256 [0-9a-f]{{64}} does not match the recorded {recorded}$"
    with pytest.raises(PipelineError, match=pattern):
        fetch_csv(name, site.root + "/titanic/", required=True)


@pytest.mark.usefixtures("no_mirror")
@pytest.mark.parametrize("base", ["/titanic-X", "/titanic-X/", "/titanic-X//"])
def test_the_file_name_is_joined_to_the_base_url_with_one_slash(site: Site, waits: list[float], base: str) -> None:
    site.serve("/titanic-X/train.csv", ok(b"not the file"))
    with pytest.raises(PipelineError, match="does not match the recorded"):
        fetch_csv("train.csv", site.root + base, required=True)
    assert site.requests == ["/titanic-X/train.csv"]


@pytest.mark.usefixtures("no_mirror")
def test_a_file_the_server_lacks_is_an_error_only_when_required(site: Site, waits: list[float]) -> None:
    with pytest.raises(PipelineError, match=f"^cannot download {site.root}/test.csv \\(HTTP 404\\)$"):
        fetch_csv("test.csv", site.root, required=True)
    assert fetch_csv("test.csv", site.root, required=False) is None
    assert waits == []


@pytest.mark.skipif(not (REAL / "train.csv").is_file(), reason="no ../shared/data/titanic")
@pytest.mark.usefixtures("no_mirror")
@pytest.mark.parametrize("name", ["train.csv", "test.csv"])
def test_the_published_files_are_downloaded(site: Site, waits: list[float], name: str) -> None:
    payload = (REAL / name).read_bytes()
    url = site.serve(f"/datasets/titanic/{name}", ok(payload))
    assert fetch_csv(name, site.root + "/datasets/titanic", required=False) == (payload.decode("utf-8"), url)


# --- fetch_csv: a mirror ------------------------------------------------------------------------------


@pytest.fixture
def trusted_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror's titanic/ directory with its own SHA256SUMS, trusted (DATA_MIRROR_TRUST_SUMS=1)."""
    monkeypatch.setenv("DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("DATA_MIRROR_TRUST_SUMS", "1")
    return helpers.write_titanic_mirror(tmp_path / "mirror", n_train=5, n_test=3, seed=1)


def test_an_optional_file_present_in_the_mirror_is_read(trusted_mirror: Path) -> None:
    fetched = fetch_csv("test.csv", "https://unused.invalid/", required=False)
    assert fetched == ((trusted_mirror / "test.csv").read_text(encoding="utf-8"), str(trusted_mirror / "test.csv"))


def test_a_mirror_file_that_is_not_utf8_is_refused(trusted_mirror: Path) -> None:
    (trusted_mirror / "train.csv").write_bytes(b"PassengerId\n\xff\n")
    helpers.write_sha256sums(trusted_mirror, ["train.csv", "test.csv"])
    path = trusted_mirror / "train.csv"
    with pytest.raises(PipelineError, match=f"^{path}: not UTF-8 text \\(invalid start byte at byte 12\\)$"):
        fetch_csv("train.csv", "https://unused.invalid/", required=True)


def test_a_mirror_file_is_read_with_universal_newlines(trusted_mirror: Path) -> None:
    text = (trusted_mirror / "train.csv").read_text(encoding="utf-8")
    (trusted_mirror / "train.csv").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    helpers.write_sha256sums(trusted_mirror, ["train.csv", "test.csv"])
    fetched = fetch_csv("train.csv", "https://unused.invalid/", required=True)
    assert fetched is not None and fetched[0] == text


@pytest.mark.skipif(not (REAL / "train.csv").is_file(), reason="no ../shared/data/titanic")
def test_the_real_mirror_is_checked_against_the_published_sha256(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MIRROR", str(REAL.parent))
    monkeypatch.delenv("DATA_MIRROR_TRUST_SUMS", raising=False)
    fetched = fetch_csv("train.csv", "https://unused.invalid/", required=True)
    assert fetched is not None
    text, source = fetched
    assert source == str(REAL / "train.csv") and text.splitlines()[0] == KAGGLE_HEADER
    assert parse_passengers(text, source, TRAIN_SCHEMA).num_rows == 891
