"""The command daemon: a warm process that runs flow commands, so they skip ~3 s of imports.

A command that runs a flow cannot avoid importing Prefect, Great Expectations
and the flows (about 3 s before its first batch). `mediawatch server start`
therefore also starts this daemon (pid and log in `<data_dir>/prefect/`
beside the server's): it imports all of that once, builds the GX suites, and
waits on a Unix socket. The `mediawatch` entry point (`main`, which imports
nothing heavy) sends a flow command (argv, working folder, environment) and
its own stdin/stdout/stderr descriptors (SCM_RIGHTS) there; the daemon forks,
and the child runs the same typer app on the user's terminal and sends back
the exit code. Output, colours and exit codes are those of the command run
in-process, because it is the same code on the same descriptors.

The socket is in Linux's abstract namespace (no file: a crashed daemon
leaves nothing behind; it serves only its own user, by SO_PEERCRED), named
from this installation and the working folder `server start` ran in:
commands run from that folder use it. A child stops
its run when its client goes (Ctrl-C is forwarded as SIGINT; a closed
socket is one too, then it exits).
A daemon whose code changed since it started says so and restarts itself;
the command then runs in-process with a one-line note. No daemon, or one
that does not answer: the command runs in-process.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO

from mediawatch.lifetime import alive, runs

# Commands that run a flow: only they are worth sending (quick ones stay in-process).
FLOW_COMMANDS = frozenset({"run", "demo", "pages", "reprocess", "reclassify", "digest"})
NO_DAEMON = "--no-daemon"
_INSTALL = Path(__file__).resolve().parent.parent
_PACKAGES = ("mediawatch", "flows", "transforms", "schemas")
_REPLY_SECONDS = 10.0  # the daemon answers right after its fork; more means it is stuck
_CHILD_GRACE_SECONDS = 5.0  # after its client went, a child's run has this long to stop
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _option(argv: list[str], *names: str) -> str | None:
    """The value of the last `--name VALUE` / `--name=VALUE` in argv, if any."""
    found = None
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                found = argv[i + 1]
            elif arg.startswith(f"{name}="):
                found = arg.partition("=")[2]
    return found


def project_key(cwd: str) -> str:
    """Which daemon serves a command: this installation, run from this working folder.

    Not the config file: the child reads the command's own settings, so any
    config of the project (a bench's or a test's fresh one too) can use it.
    """
    return hashlib.sha256(f"{_INSTALL}\0{os.path.realpath(cwd)}".encode()).hexdigest()[:20]


def _address(key: str) -> str:
    return f"\0mediawatch-daemon-{key}"


def fingerprint() -> str:
    """A hash of the installed code (each file's path, size and mtime): changes when code does."""
    entries = []
    for package in _PACKAGES:
        for path in sorted((_INSTALL / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                entries.append(f"{path.relative_to(_INSTALL)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def _command(argv: list[str]) -> str | None:
    """The command name in argv (skipping the global `--warehouse VALUE`), if any."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--warehouse":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def wants_daemon(argv: list[str]) -> bool:
    """Whether this command line is a flow command that may go to a daemon."""
    return (
        _command(argv) in FLOW_COMMANDS
        and NO_DAEMON not in argv
        and not {"--help", "-h"} & set(argv)
    )


# --- the client side: the `mediawatch` entry point ------------------------------------


def main() -> None:
    """Console-script entry point: send a flow command to the daemon, else run it here."""
    argv = sys.argv[1:]
    if wants_daemon(argv):
        code = send(argv)
        if code is not None:
            sys.exit(code)
    status = [1]  # what an exception escaping the command exits with
    atexit.register(_end_without_teardown, status)
    from mediawatch.cli import main as run_here

    try:
        run_here()
        status[0] = 0
    except (SystemExit, KeyboardInterrupt) as exc:
        status[0] = exit_status(exc)
        raise


def send(argv: list[str]) -> int | None:
    """Run the command in the daemon; its exit code, or None to run it in-process.

    None when no daemon listens, or it does not answer in time, or its code is
    stale (then with a one-line note on stderr).
    """
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(_REPLY_SECONDS)
        connection.connect(_address(project_key(os.getcwd())))
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reader = connection.makefile("rb")
        reply = json.loads(reader.readline() or b"{}")
    except (OSError, ValueError):
        return None
    if "stale" in reply or "pid" not in reply:
        print(
            f"note: {reply.get('stale', 'the command daemon did not start the command')}; "
            "running in this process",
            file=sys.stderr,
        )
        return None
    child = int(reply["pid"])
    for sig in _FORWARDED:  # Ctrl-C and friends reach the run, as they would in-process
        signal.signal(sig, lambda number, _frame: _forward(child, number))
    connection.settimeout(None)
    return _exit_code(reader)


def _forward(child: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, number)


def _exit_code(reader: BinaryIO) -> int:
    """Wait for the child's exit code; a child that died without one is an error."""
    while True:
        try:
            line = reader.readline()
        except InterruptedError:
            continue
        if not line:
            print("Error: the command daemon's process ended without an exit code", file=sys.stderr)
            return 1
        return int(json.loads(line)["exit"])


# --- started and stopped beside the server (`mediawatch server start | stop | status`) ----


def _record(folder: Path) -> Path:
    return folder / "daemon.json"


def running_pid(folder: Path) -> int | None:
    """The pid of the daemon recorded in the server folder, if it still runs."""
    try:
        pid = int(json.loads(_record(folder).read_text("utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if runs(pid, b"mediawatch.daemon") else None


def start(folder: Path, argv: list[str]) -> int:
    """Start the daemon for the project of this command line (if none runs); return its pid.

    It is detached (its own session) and logs to `folder/daemon.log`; it listens
    once warmed up, a few seconds later: until then commands run in-process.
    """
    import subprocess

    pid = running_pid(folder)
    if pid is not None:
        return pid
    folder.mkdir(parents=True, exist_ok=True)
    key = project_key(os.getcwd())
    config = _option(argv, "--config", "-c")
    with (folder / "daemon.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mediawatch.daemon", key]
            + ([os.path.abspath(config)] if config else []),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _record(folder).write_text(json.dumps({"pid": process.pid, "key": key}), "utf-8")
    return process.pid


def stop(folder: Path) -> int | None:
    """Stop the recorded daemon (commands it is running go on); its pid, None if none ran."""
    pid = running_pid(folder)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + _CHILD_GRACE_SECONDS
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    _record(folder).unlink(missing_ok=True)
    return pid


# --- the daemon side ---------------------------------------------------------------------


# What a first flow run imports lazily (found by listing a child's new modules): here once.
_FIRST_RUN_MODULES = (
    "fastapi.encoders",
    "great_expectations.render.renderer.site_builder",
    "mediawatch.prefect_api",
    "multiprocessing.synchronize",
    "prefect.concurrency.sync",
    "prefect.engine",
    "prefect.flow_engine",
    "prefect.task_engine",
    "prefect.telemetry.run_telemetry",
    "prefect.utilities.visualization",
    "pyarrow.dataset",
)


def warm_up(config: str | None) -> None:
    """Import and build what every flow command needs before its first batch.

    That includes the extraction workers' forkserver, with trafilatura
    imported: each command's pool forks its workers from it
    (`_adopt_forkserver`) instead of starting a forkserver of its own (about
    1.1 CPU-s per run). It also includes the project's taxonomy, compiled once
    per text (`parse_taxonomy` is cached by content, so an edited file still
    counts), GX's Data Docs page templates, compiled (about 0.15 CPU-s a run),
    the tables' primary keys (read by migrating a scratch database, about
    0.1 s that every run recording its feeds' state would pay again) and the
    fetches' TLS context (certifi's CA bundle parsed, about 35 ms of CPU).
    """
    import flows.digest
    import flows.ingest
    import flows.pages
    import flows.reclassify
    import flows.reprocess  # noqa: F401
    import mediawatch.cli
    import mediawatch.http
    import mediawatch.preflight
    import mediawatch.progress
    import mediawatch.saved_folder
    import mediawatch.warehouse
    from mediawatch import data_docs
    from mediawatch.settings import load_settings
    from transforms import stories, validate
    from transforms.extract import start_forkserver

    for module in _FIRST_RUN_MODULES:
        importlib.import_module(module)
    start_forkserver()
    validate.prepare()
    data_docs.prepare()
    stories.prepare()
    mediawatch.warehouse.primary_keys()
    mediawatch.http.tls_context()
    mediawatch.preflight.checked_taxonomy(load_settings(Path(config) if config else None))


def serve(key: str, config: str | None = None) -> None:
    """Warm up, then serve commands on the project's socket until stopped (SIGTERM)."""
    started = fingerprint()
    warm_up(config)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(_address(key))
    except OSError as exc:
        print(f"another command daemon serves this project ({exc}); exiting", file=sys.stderr)
        return
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print(f"command daemon {os.getpid()} ready", file=sys.stderr, flush=True)
    while True:
        connection, _ = listener.accept()
        if not same_user(connection):
            print("refused a connection from another user", file=sys.stderr, flush=True)
            connection.close()
            continue
        try:
            message, fds, _flags, _addr = socket.recv_fds(connection, 1 << 20, 3)
            request = json.loads(message)
        except (OSError, ValueError) as exc:
            print(f"bad request: {exc}", file=sys.stderr, flush=True)
            connection.close()
            continue
        if fingerprint() != started:
            _reply(connection, {"stale": "the command daemon's code changed; it restarts"})
            for fd in fds:  # the client's descriptors must not live on in the new daemon
                os.close(fd)
            listener.close()
            os.execv(sys.executable, [sys.executable, "-m", "mediawatch.daemon", *sys.argv[1:]])
        child = os.fork()
        if child == 0:
            listener.close()
            _run_child(connection, fds, request)
        for fd in fds:
            os.close(fd)
        print(f"pid {child}: mediawatch {' '.join(request['argv'])}", file=sys.stderr, flush=True)
        _reply(connection, {"pid": child})
        connection.close()


def same_user(connection: socket.socket) -> bool:
    """Whether the peer runs as this process's user (the kernel's SO_PEERCRED says).

    An abstract socket has no file permissions: any local user can connect, so
    the daemon runs only its own user's commands.
    """
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid == os.getuid()


def _reply(connection: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps(message).encode() + b"\n")


def _run_child(connection: socket.socket, fds: list[int], request: dict) -> None:
    """In the forked child: become the client's command, run it, send the exit code, exit."""
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's own
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["mediawatch", *request["argv"]]
    _become_fresh_process()
    _adopt_forkserver()
    done = threading.Event()
    code = [1]

    def send_exit() -> None:  # registered first, so it runs after Prefect's flushes
        done.set()
        _release_client_streams()
        _reply(connection, {"exit": code[0]})
        os._exit(code[0])  # see `_end_without_teardown`

    atexit.register(send_exit)
    threading.Thread(target=_stop_when_client_goes, args=(connection, done), daemon=True).start()
    try:
        from mediawatch.cli import main as run_here

        run_here()
        code[0] = 0
    except (SystemExit, KeyboardInterrupt) as exc:
        code[0] = exit_status(exc)
    sys.exit(code[0])


def exit_status(exc: SystemExit | KeyboardInterrupt) -> int:
    """The process exit status a command ending with `exc` has (Ctrl-C: 130)."""
    if isinstance(exc, KeyboardInterrupt):
        return 130
    return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def _end_without_teardown(status: list[int]) -> None:
    """Flush the output and end the process now, with `status[0]`: the last exit handler.

    Registered before anything else is imported, so it runs after every other
    exit handler (Prefect's log and event flushes, multiprocessing's, logging's)
    and after non-daemon threads were joined. What it skips is the
    interpreter's teardown of the heap the run leaves, which the process is
    about to drop anyway: seconds after a 1,000-page run on a loaded machine,
    growing with the run. Files and DuckDB connections are closed by then.
    """
    _flush_output()
    os._exit(status[0])


def _flush_output() -> None:
    """Flush stdout and stderr; one already closed, or whose reader went, is passed over."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _release_client_streams() -> None:
    """Flush the command's output and let go of the client's stdin, stdout and stderr.

    Done before the exit code is sent: what the interpreter does while it
    shuts down afterwards (most of a second, with Prefect's and DuckDB's
    threads) no longer keeps a pipe reading the command's output (`| tee`,
    a scheduler, the benchmark) waiting for its end, nor writes to it.
    """
    _flush_output()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _become_fresh_process() -> None:
    """Re-read what the daemon's imports froze: Prefect's settings and logging, the consoles."""
    from prefect.context import refresh_global_settings_context
    from prefect.logging.configuration import setup_logging
    from rich.console import Console

    import flows
    import mediawatch.cli
    import mediawatch.taxonomy_cmd

    importlib.reload(flows)  # its Prefect defaults, in the client's environment
    refresh_global_settings_context()
    setup_logging(incremental=False)
    mediawatch.cli.console = Console()
    mediawatch.taxonomy_cmd.console = Console()


def _adopt_forkserver() -> None:
    """Let this child's extraction pool use the daemon's forkserver, or start its own if it died.

    multiprocessing checks that its forkserver still runs with `waitpid`, which
    only the forkserver's parent (the daemon) may call: in this child it would
    raise. While the forkserver lives, the check here is only that the
    resource tracker runs; one that died is forgotten, so the run starts its own.
    """
    from multiprocessing import forkserver, resource_tracker

    server = forkserver._forkserver
    pid = server._forkserver_pid
    if pid is None:
        return
    if not alive(pid):
        os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = server._forkserver_pid = None
        server._forkserver_address = None
        return
    server.ensure_running = resource_tracker.ensure_running
    forkserver.ensure_running = resource_tracker.ensure_running


def _stop_when_client_goes(connection: socket.socket, done: threading.Event) -> None:
    """Stop this run when the client's socket closes (client killed): SIGINT, then exit."""
    try:
        while connection.recv(1024):
            pass
    except OSError:
        pass
    if done.is_set():
        return
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(_CHILD_GRACE_SECONDS)
    os._exit(1)


if __name__ == "__main__":
    serve(*sys.argv[1:3])
