"""``python -m pipelib.remote push|pull|fetch [-r NAME]``: DVC's transfers, failing in one line.

A failed ``dvc push`` prints one ``ERROR`` per file naming no remote, and one with outputs missing
from the local cache exits 0. This runs the same command (``push`` with ``--run-cache``, so
``dvc repro --pull`` restores stages) and on failure prints one line naming the remote, its URL and
the cause, and exits 2. DVC's own output goes to ``.dvc/tmp/remote-<command>.log``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipelib.errors import PipelineError, run_stage

COMMANDS = ("push", "pull", "fetch")
# An object in neither cache: "md5: <hash>", or "md5-dos2unix: <hash>" for a .dvc file of DVC 2.
MISSING = re.compile(r"^md5(?:-dos2unix)?: ([0-9a-f]{32})", re.MULTILINE)
ERROR = re.compile(r"^ERROR: (.*)$", re.MULTILINE)
# DVC's wrappers around the cause ("unexpected error - <cause>", "failed to connect to ssh (...) - <cause>").
PREFIXES = re.compile(
    r"^(unexpected error|failed to connect to \w+ \([^)]*\)|failed to transfer '[^']*'"
    r"|failed to \w+ data \w+ the cloud) - "
)
# "Permission denied" depends on the remote: a local (or NFS/SMB-mounted) directory's EACCES
# ("[Errno 13] Permission denied: '<path>'"), an SFTP server refusing a logged-in user a file
# (a bare "Permission denied"), or a login refused ("Permission denied for user U on host H").
LOGIN_REFUSED = "authentication failed"
DENIED = {
    "local": "permission denied on the remote directory (its owner or mode)",
    "ssh": "permission denied on the remote path (logged in, but its owner or mode refuses the user)",
}
CAUSES = (
    (re.compile(r"Connect call failed|Connection refused", re.I), "connection refused (is the server up?)"),
    (re.compile(r"Name or service not known|nodename nor servname|getaddrinfo failed", re.I), "unknown host"),
    (re.compile(r"Permission denied for user|Authentication failed|No authentication methods", re.I), LOGIN_REFUSED),
    (re.compile(r"Permission denied|\[Errno 13\]", re.I), "denied"),  # worded by the remote's kind: DENIED
    (re.compile(r"Unable to locate credentials|NoCredentialsError|credentials", re.I), "missing credentials"),
    (re.compile(r"Connection lost|connection reset|Broken pipe|Connection closed", re.I), "connection lost"),
    (re.compile(r"timed out|timeout", re.I), "timed out"),
)


def remote_of(project: Path, name: str | None) -> tuple[str, str]:
    """The remote ``name`` (default: the project's default remote) and its URL, credentials left out."""
    name, section = configured_remote(project, name)
    return name, _without_password(str(section["url"]))


def configured_remote(project: Path, name: str | None) -> tuple[str, dict[str, Any]]:
    """The remote ``name`` (default: the project's default remote) and its options as configured (the URL with
    any password in it), .dvc/config.local over .dvc/config."""
    from dvc.config import Config, ConfigError
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        config = Config(Repo.find_dvc_dir(str(project)))
    except NotDvcRepoError:
        raise PipelineError(f"{project}: not a DVC project (no .dvc directory)") from None
    except ConfigError as error:
        raise PipelineError(f"the DVC configuration cannot be read ({error})") from None
    name = name or config["core"].get("remote")
    if not name:
        raise PipelineError("no DVC remote given (-r NAME) and no default remote: see docs/sharing.md")
    if name not in config["remote"]:
        raise PipelineError(f"remote '{name}' is not configured in .dvc/config or .dvc/config.local")
    return name, dict(config["remote"][name])


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """(scheme, user, what follows the user information) of a URL with a password in it; None without one.

    The user information ends at the last ``@``: a password with an unencoded ``/``, ``@``, ``#``
    or ``?`` (``ssh://alice:s3cr/etpw@host/path``) is taken whole, where ``urlsplit`` would end
    the host at the ``/``. A port followed by a path holding ``@`` reads as a password too:
    a URL shown short rather than a secret shown.
    """
    scheme, separator, rest = url.partition("://")
    userinfo, at, after = rest.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return (scheme, user, after) if separator and at and colon else None


def _without_password(url: str) -> str:
    """``url`` without the password of its user information, whatever characters the password holds."""
    parts = _userinfo(url)
    if parts is None:
        return url
    scheme, user, after = parts
    return f"{scheme}://{user}@{after}" if user else f"{scheme}://{after}"


def hide_password(text: str, url: str) -> str:
    """``text`` (DVC's words) with the password of ``url`` and every piece of it DVC may quote replaced by ``***``.

    DVC parses ``ssh://alice:s3cr/etpw@host`` its own way and says "Port could not be cast to integer
    value as 's3cr'": the pieces between the URL's delimiters are hidden as whole words too.
    """
    parts = _userinfo(url)
    if parts is None:
        return text
    scheme, user, after = parts
    password = url[len(f"{scheme}://{user}:") : len(url) - len(after) - 1]
    if not password:
        return text
    text = text.replace(password, "***")
    for piece in sorted(set(re.split(r"[/@?#:]", password)) - {""}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(piece)}(?!\w)", "***", text)
    return text


def remote_kind(url: str) -> str:
    """``local`` for a path (or ``file://``), otherwise the URL's scheme (``ssh``, ``https``, ``s3``...)."""
    scheme, separator, _ = url.partition("://")
    return scheme.lower() if separator and scheme.lower() != "file" else "local"


def summarize(command: str, output: str, returncode: int, kind: str) -> str | None:
    """The cause of a failed ``dvc COMMAND`` against a remote of ``kind`` (:func:`remote_kind`), in a few words.

    None if it succeeded.
    """
    missing = len(set(MISSING.findall(output)))
    errors = [PREFIXES.sub("", line).strip() for line in ERROR.findall(output)]
    if returncode == 0 and not missing:
        return None
    for error in errors:
        for pattern, words in CAUSES:
            if pattern.search(error):
                words = DENIED.get(kind, LOGIN_REFUSED) if words == "denied" else words
                return f"{words}: {_shorten(error)}"
    targets = _checkout_failures(output)
    if targets and not missing:
        return (
            f"{_count(len(targets), 'output')} not checked out, an object corrupt (refused by verify) or missing: "
            + (_listed(targets))
        )
    if missing:
        if command == "push":
            return f"{missing} files are in neither the local cache nor the remote (run dvc repro or dvc pull first)"
        return f"{missing} files are missing from the remote (a wrong URL, or never pushed?)"
    return _shorten(errors[0]) if errors else f"dvc {command} exited {returncode}"


def _checkout_failures(output: str) -> list[str]:
    """The targets DVC lists after "Checkout failed for following targets:", one a line, up to its hint."""
    _, found, rest = output.partition("Checkout failed for following targets:\n")
    if not found:
        return []
    targets = []
    for line in rest.splitlines():
        if not line.strip() or line.startswith(("Is your cache up to date?", "<https://", "ERROR:", "WARNING:")):
            break
        targets.append(line.strip())
    return targets


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _listed(names: list[str], width: int = 120) -> str:
    """``names`` joined by commas, as many as fit in ``width`` characters, then "and N more"."""
    shown: list[str] = []
    for index, name in enumerate(names):
        rest = len(names) - index
        if shown and len(", ".join([*shown, name])) > width:
            return ", ".join(shown) + f" and {rest} more"
        shown.append(name)
    return ", ".join(shown)


def _shorten(text: str) -> str:
    """One line: a cause DVC repeats after a colon once, and at most 200 characters."""
    head, _, tail = text.partition(": ")
    text = head if tail == head else text
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:197] + "..."


def dvc_command(command: str, remote: str, extra: list[str]) -> list[str]:
    """The ``dvc COMMAND`` line run: ``push`` always with ``--run-cache``, then the options and targets given."""
    return [sys.executable, "-m", "dvc", command, "-r", remote, *(["--run-cache"] if command == "push" else []), *extra]


def run(command: str, name: str | None, extra: list[str], project: Path) -> str:
    """Run ``dvc COMMAND`` against the remote; its output, or PipelineError with one line."""
    remote, section = configured_remote(project, name)
    configured = str(section["url"])
    url = _without_password(configured)
    if command != "push" and not section.get("verify", remote_kind(configured) == "gdrive"):  # DVC's defaults
        raise PipelineError(
            f"dvc {command} from remote '{remote}' ({url}) refused: the remote does not verify what it downloads, "
            f"so a corrupt object would reach the workspace unnoticed; run dvc remote modify {remote} verify true "
            "and commit .dvc/config (docs/sharing.md)"
        )
    argv = dvc_command(command, remote, extra)
    result = subprocess.run(argv, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    log = project / ".dvc" / "tmp" / f"remote-{command}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    output = hide_password(result.stdout, configured)  # before any cut: a cut could leave a piece unmatched
    log.write_text(output, encoding="utf-8")
    cause = summarize(command, output, result.returncode, remote_kind(configured))
    if cause is not None:
        direction = "to" if command == "push" else "from"
        raise PipelineError(
            f"dvc {command} {direction} remote '{remote}' ({url}) failed: {cause} [log: .dvc/tmp/{log.name}]"
        )
    return result.stdout


def arguments(argv: list[str] | None = None) -> tuple[str, str | None, list[str]]:
    """The command, the remote named (or None) and what goes on to dvc: options it does not know, then targets."""
    parser = argparse.ArgumentParser(prog="python -m pipelib.remote", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("-r", "--remote", help="remote name (default: the project's default remote)")
    parser.add_argument("targets", nargs="*", help="what to transfer (default: everything)")
    args, options = parser.parse_known_args(argv)  # the rest (-j N, --force...) goes to dvc as it is
    return args.command, args.remote, [*options, *args.targets]


def main() -> None:
    command, remote, extra = arguments()
    sys.stdout.write(run(command, remote, extra, Path.cwd()))


if __name__ == "__main__":
    run_stage(main)
