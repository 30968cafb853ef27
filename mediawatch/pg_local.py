"""A throwaway PostgreSQL cluster from the installed server binaries (tests, demos).

DuckLake keeps its catalog in PostgreSQL; tests and `make scale-demo` need a
real server without asking anyone to set one up. `start` runs `initdb` in a
fresh folder and a `postgres` server on a free loopback port with its unix
socket in that folder. The server refuses to run as root, so when we are root
both run as the unprivileged `postgres` system user (or `nobody`), which owns
the folder. Authentication is `trust`, on loopback only: a scratch server.

The server runs in a session of its own, so a test run or demo killed before
its `stop` (a timeout, kill -9) leaves it running: each folder names the
process that started it (`owner`), and `start` first stops the servers whose
owner is gone and deletes their folders (`reap_orphans`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mediawatch.errors import MediawatchError
from mediawatch.lifetime import runs, started

_DEBIAN_BINDIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
_READY_TIMEOUT = 30.0
_STOP_TIMEOUT = 15.0
SUPERUSER = "mediawatch"
_PREFIX = "mediawatch-pg-"
_OWNER = "owner"  # "<pid> <start time>" of the process that started the cluster


class PostgresUnavailable(MediawatchError):
    """No PostgreSQL server binaries are installed, or the server did not start."""


def find_bindir() -> Path | None:
    """The folder of `initdb` and `postgres`: `pg_config --bindir`, else Debian's folders."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found:
            candidates.append(Path(found))
    candidates.extend(_DEBIAN_BINDIRS)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _server_user() -> str | None:
    """The user to run the server as: None when we are not root, else an unprivileged one."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable("running as root and neither a `postgres` nor a `nobody` user exists")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalPostgres:
    """A running throwaway server: its address, `create_database`, and `stop`."""

    folder: Path
    port: int
    bindir: Path
    user: str | None
    process: subprocess.Popen[bytes] = field(repr=False)

    def dsn(self, dbname: str = "postgres") -> str:
        """The libpq connection string of a database on this server (TCP on loopback)."""
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={SUPERUSER}"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create a database (a copy of `template`, if given) and return its connection string.

        A template must have no open connection while it is copied.
        """
        copy = ["-T", template] if template else []
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, *copy, name)
        return self.dsn(name)

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [str(self.bindir / tool), *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"{tool} failed: {done.stderr.strip()}")

    def stop(self) -> None:
        """Shut the server down at once and delete its folder.

        SIGQUIT is PostgreSQL's immediate shutdown: no final checkpoint, which
        would only write out a cluster that is deleted next.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(bindir: Path | None = None, *, settings: dict[str, str] | None = None) -> LocalPostgres:
    """Initialise a cluster in a new temporary folder and start its server on a free port.

    `settings` are extra server settings (`-c name=value`), e.g. `fsync=off` for tests.
    Raises `PostgresUnavailable` without binaries or when the server does not come up.
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries (initdb, postgres) found")
    reap_orphans()
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX))
    (folder / _OWNER).write_text(f"{os.getpid()} {started(os.getpid())}")
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    as_user = {"user": user, "group": pwd.getpwnam(user).pw_gid} if user else {}
    data = folder / "data"
    init = subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-N", "-E",
         "UTF8", "--locale=C"],
        capture_output=True, text=True, cwd=folder, check=False, **as_user,
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()}")
    options = {"listen_addresses": "127.0.0.1", "unix_socket_directories": str(folder)}
    options.update(settings or {})
    port = _free_port()
    log = (folder / "server.log").open("wb")
    if user is not None:
        os.chown(log.name, pwd.getpwnam(user).pw_uid, -1)
    command = [str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
    for name, value in options.items():
        command += ["-c", f"{name}={value}"]
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True, **as_user
    )
    log.close()
    server = LocalPostgres(folder=folder, port=port, bindir=bindir, user=user, process=process)
    _wait_ready(server)
    return server


def reap_orphans(parent: Path | None = None) -> list[Path]:
    """Stop the servers of clusters whose owner is gone, delete their folders; return them.

    A folder without a readable owner (being set up, or made by an older
    version) is left alone.
    """
    reaped = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        try:
            pid, since = (folder / _OWNER).read_text().split()
        except (OSError, ValueError):
            continue
        if started(int(pid)) == since:
            continue
        _stop_postmaster(folder / "data" / "postmaster.pid")
        shutil.rmtree(folder, ignore_errors=True)
        reaped.append(folder)
    return reaped


def _stop_postmaster(pid_file: Path) -> None:
    """Shut down at once the server whose `postmaster.pid` this is, if it still runs."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if not runs(pid, b"postgres"):
        return
    os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while runs(pid, b"postgres") and time.monotonic() < deadline:
        time.sleep(0.05)
    if runs(pid, b"postgres"):
        os.kill(pid, signal.SIGKILL)


def _wait_ready(server: LocalPostgres) -> None:
    """Wait until the server accepts connections; stop it and raise if it never does."""
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        ready = subprocess.run(
            [str(server.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(server.port)],
            check=False,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    log = (server.folder / "server.log").read_text(errors="replace")[-2000:]
    server.stop()
    raise PostgresUnavailable(f"PostgreSQL did not start on port {server.port}: {log}")
