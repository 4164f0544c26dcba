"""A real OpenSSH server on 127.0.0.1 for the remote tests: its own host key, config and port.

:class:`SshServer` writes a host key, a throwaway client key (authorized for the current
user only through this server's own ``AuthorizedKeysFile``), an ``sshd_config`` and runs
``sshd -D`` on a free port. Nothing in ``~/.ssh`` or ``/etc/ssh`` is read or changed.

``delay`` slows the SFTP subsystem (a relay that sleeps before passing on each chunk), so a
test can stop the server, or kill a client, while a transfer is under way.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

SFTP_SERVER_PATHS = ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server")
PRIVSEP_DIR = Path("/run/sshd")  # sshd started by root insists on it (systemd's RuntimeDirectory makes it)

RELAY = textwrap.dedent(
    """
    import os, subprocess, sys, threading, time
    delay = float(sys.argv[1])
    server = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    def pump(source, sink, close):
        while chunk := os.read(source, 8192):
            time.sleep(delay)
            os.write(sink, chunk)
        close()
    threading.Thread(target=pump, args=(0, server.stdin.fileno(), server.stdin.close), daemon=True).start()
    pump(server.stdout.fileno(), 1, lambda: None)
    server.wait()
    """
)


def sshd_binary() -> str | None:
    """The OpenSSH server binary, or None when openssh-server is not installed."""
    return shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd",) if os.access(p, os.X_OK)), None)


def sftp_server_binary() -> str | None:
    """OpenSSH's SFTP server program."""
    return next((path for path in SFTP_SERVER_PATHS if os.access(path, os.X_OK)), None)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def keygen(path: Path, comment: str) -> Path:
    """An ed25519 key pair without passphrase at ``path`` (and ``path.pub``)."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path


def descendants(pid: int) -> list[int]:
    """Every process whose parent chain reaches ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class SshServer:
    """``sshd -D`` on 127.0.0.1 with files under ``root``; :meth:`start`, :meth:`stop`, :meth:`kill`."""

    def __init__(self, root: Path, delay: float = 0.0, sftp_prefix: tuple[str, ...] = ()) -> None:
        self.root = root
        self.delay = delay
        self.sftp_prefix = sftp_prefix  # a command the SFTP server runs under (``setpriv ... --``)
        self.user = getpass.getuser()
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        self.host_key = root / "ssh_host_ed25519_key"
        self.client_key = root / "id_ed25519"
        if not self.host_key.exists():
            keygen(self.host_key, "test-host")
            keygen(self.client_key, "test-client")
            shutil.copy2(f"{self.client_key}.pub", root / "authorized_keys")
        self.log = root / f"sshd-{self.port}.log"
        self.config = root / f"sshd_config-{self.port}"
        self.config.write_text(self._config_text(), encoding="utf-8")

    def _config_text(self) -> str:
        sftp = sftp_server_binary()
        if sftp is None:
            raise RuntimeError("no sftp-server program (Debian: apt-get install openssh-server)")
        if self.delay:
            relay = self.root / "sftp_relay.py"
            relay.write_text(RELAY, encoding="utf-8")
            subsystem = f"{sys.executable} {relay} {self.delay} {sftp}"
        else:
            subsystem = sftp
        subsystem = " ".join([*self.sftp_prefix, subsystem])
        return textwrap.dedent(
            f"""\
            ListenAddress 127.0.0.1
            Port {self.port}
            HostKey {self.host_key}
            PidFile {self.root}/sshd-{self.port}.pid
            AuthorizedKeysFile {self.root}/authorized_keys
            AllowUsers {self.user}
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            MaxStartups 100
            MaxSessions 100
            Subsystem sftp {subsystem}
            """
        )

    @property
    def url(self) -> str:
        """The ``ssh://`` URL of a directory on this server."""
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    def start(self) -> SshServer:
        """Start sshd and wait until it accepts connections."""
        binary = sshd_binary()
        if binary is None:
            raise RuntimeError("no sshd (Debian: apt-get install openssh-server)")
        if os.geteuid() == 0:
            PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "-D", "-e", "-f", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),  # noqa: SIM115  (the server owns it until it exits)
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(4).startswith(b"SSH-"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start listening:\n{self.log.read_text()}")
            time.sleep(0.05)

    def sessions(self) -> list[int]:
        """Pids of the server's per-connection processes (and the SFTP servers under them)."""
        return descendants(self.process.pid) if self.process and self.process.poll() is None else []

    def stop(self) -> None:
        """Stop the server at once, as a crash or a pulled cable would: every connection is cut."""
        if self.process is None:
            return
        for pid in [*self.sessions(), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self.process = None
