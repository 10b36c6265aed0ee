"""Start, find and stop newsmon's embedded MongoDB-compatible server (client side: stdlib + pymongo only).

When ``MONGO_URI`` is unset newsmon runs :mod:`crawler.store.embedded.server` as a detached background
process and talks to it over TCP exactly as to MongoDB. One server per data dir is shared by every crawl,
consumer and CLI call: :func:`ensure_embedded_server` reuses a live one and otherwise starts one, under a
file lock so that two crawls starting at once start only one server. The server outlives its starter on
purpose (the next run reuses it); :func:`stop_embedded_server` ends it.

The server is private to its owner: the data dir is 0700 (:mod:`crawler.store.embedded.private`), and the server
refuses every client without the data dir's credentials (SCRAM-SHA-256), generated at the first start into
``credentials.json`` (0600). :attr:`EmbeddedServer.uri` carries them; it is the one URI newsmon hands out
(``newsmon db uri``, :func:`crawler.store.connection.resolve_uri`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from crawler.store.embedded.private import private_dir, private_opener

logger = logging.getLogger(__name__)

# Mirrors crawler.store.embedded.server; repeated so that this module never imports mongoeco.
STATE_FILE = "server.json"
LOG_FILE = "server.log"
START_LOCK_FILE = "start.lock"
SERVER_LOCK_FILE = "server.lock"  # held (flock) by the server for its whole life
HOST = "127.0.0.1"
CREDENTIALS_FILE = "credentials.json"
USER = "newsmon"
AUTH_MECHANISM = "SCRAM-SHA-256"  # mongoeco's SCRAM-SHA-1 lacks MongoDB's MD5 pre-hash; PLAIN sends the password


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be started or does not answer."""


@dataclass(frozen=True)
class EmbeddedServer:
    pid: int
    port: int
    data_dir: Path
    auth: bool = True
    """False for a server started by a newsmon from before credentials (it takes any client)."""

    @property
    def uri(self) -> str:
        """The URI with the data dir's credentials: for newsmon's clients and for consumers."""
        if not self.auth:
            _warn_open_server(self.data_dir, self.pid)
            return _uri(self.port)
        credentials = read_credentials(self.data_dir)
        if credentials is None:
            raise EmbeddedServerError(
                f"the embedded server of {self.data_dir} wants credentials: no {CREDENTIALS_FILE}"
            )
        return _uri(self.port, credentials)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = dataclasses.field(repr=False)


def _uri(port: int, credentials: Credentials | None = None) -> str:
    if credentials is None:
        return f"mongodb://{HOST}:{port}/?directConnection=true"
    userinfo = f"{quote(credentials.user, safe='')}:{quote(credentials.password, safe='')}"
    return f"mongodb://{userinfo}@{HOST}:{port}/?directConnection=true&authSource=admin&authMechanism={AUTH_MECHANISM}"


def read_credentials(data_dir: Path) -> Credentials | None:
    """The data dir's database user, or None before the first start of a server on it."""
    path = Path(data_dir) / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except PermissionError:
        raise EmbeddedServerError(f"{path} is not readable: the data dir belongs to another user") from None
    except (OSError, ValueError) as exc:
        raise EmbeddedServerError(f"{path} is unreadable ({exc}); delete it and restart the server") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k] for k in ("user", "password")):
        raise EmbeddedServerError(f"{path} has no user and password; delete it and restart the server")
    return Credentials(data["user"], data["password"])


def ensure_credentials(data_dir: Path) -> Credentials:
    """The data dir's credentials, generated on first use (a random 256-bit password, file 0600).

    Written to a temporary file and hard-linked into place, so two starters at once agree on one password
    (the second link fails and that starter reads the winner's file).
    """
    data_dir = private_dir(Path(data_dir))
    found = read_credentials(data_dir)
    if found is not None:
        return found
    tmp = data_dir / f".{CREDENTIALS_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "x", encoding="utf-8", opener=private_opener) as handle:
        json.dump({"user": USER, "password": secrets.token_urlsafe(32)}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, data_dir / CREDENTIALS_FILE)
        logger.info("Generated the embedded database's credentials in %s", data_dir / CREDENTIALS_FILE)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    created = read_credentials(data_dir)
    assert created is not None
    return created


# Servers this process started. Holding the Popen objects keeps them from warning "still running" when
# collected (the server is meant to outlive us), and lets us reap them once they have exited.
_children: dict[int, subprocess.Popen[bytes]] = {}


def _pid_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _server_lock_held(data_dir: Path) -> bool:
    """True while a server process holds the data dir's lifetime lock.

    Unlike a pid from the state file this cannot be fooled by pid reuse or a zombie: the kernel drops
    the lock when the server process ends, however it ends.
    """
    try:
        handle = open(data_dir / SERVER_LOCK_FILE, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _ping(port: int, timeout: float = 2.0) -> bool:
    """The server answers: `hello` needs no credentials (as on MongoDB), so this never authenticates."""
    client: MongoClient = MongoClient(
        _uri(port), serverSelectionTimeoutMS=int(timeout * 1000), connectTimeoutMS=int(timeout * 1000)
    )
    try:
        client.admin.command("hello")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True


def _read_state(data_dir: Path) -> dict[str, object] | None:
    try:
        state = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return state if isinstance(state, dict) else None


def _state_server(data_dir: Path, state: dict[str, object] | None) -> EmbeddedServer | None:
    if state is None:
        return None
    pid, port = state.get("pid"), state.get("port")
    if not isinstance(pid, int) or not isinstance(port, int):
        return None
    return EmbeddedServer(pid=pid, port=port, data_dir=data_dir, auth=state.get("auth") is True)


_warned_open: set[tuple[Path, int]] = set()


def _warn_open_server(data_dir: Path, pid: int) -> None:
    """A server started by a newsmon from before credentials: it works, but any local user can query it."""
    if (data_dir, pid) not in _warned_open:
        _warned_open.add((data_dir, pid))
        logger.warning(
            "The embedded server (pid %d) of %s was started without credentials and accepts any local client; "
            "restart it (`newsmon db stop`) to make it private",
            pid,
            data_dir,
        )


def embedded_status(data_dir: Path) -> EmbeddedServer | None:
    """The running server of ``data_dir``, or None: the state file's pid is alive and answers a ping."""
    data_dir = Path(data_dir).resolve()
    server = _state_server(data_dir, _read_state(data_dir))
    if server is None or not _alive(data_dir, server) or not _ping(server.port):
        return None
    return server


def _alive(data_dir: Path, server: EmbeddedServer) -> bool:
    return _pid_alive(server.pid) and _server_lock_held(data_dir)


@contextlib.contextmanager
def _start_lock(data_dir: Path) -> Iterator[None]:
    """Serialise starters across processes; released by the kernel even if the holder is killed."""
    with open(data_dir / START_LOCK_FILE, "a+", encoding="utf-8", opener=private_opener) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _log_tail(data_dir: Path, lines: int = 30) -> str:
    try:
        text = (data_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no server.log)"
    return "\n".join(text.splitlines()[-lines:])


def _clear_stale_state(data_dir: Path, state: dict[str, object] | None) -> None:
    """A server killed with SIGKILL leaves its state file behind; it only misleads the next reader."""
    server = _state_server(data_dir, state)
    if state is not None and (server is None or not _alive(data_dir, server)):
        with contextlib.suppress(FileNotFoundError):
            (data_dir / STATE_FILE).unlink()


def ensure_embedded_server(
    data_dir: Path, port: int = 0, timeout: float = 30.0, *, server_args: Sequence[str] = ()
) -> EmbeddedServer:
    """Return the running server of ``data_dir``, starting a detached one if there is none.

    ``port`` 0 lets the server pick a free port (recorded in ``server.json``). ``server_args`` are passed
    on to a newly started server (e.g. ``["--stock"]`` for benchmarks). Raises
    :class:`EmbeddedServerError` with the tail of ``server.log`` if the server does not come up.
    """
    data_dir = private_dir(Path(data_dir).resolve())
    running = embedded_status(data_dir)
    if running is not None:
        return running
    with _start_lock(data_dir):
        # Another starter may have won the race while we waited for the lock.
        state = _read_state(data_dir)
        server = _state_server(data_dir, state)
        if server is not None and _alive(data_dir, server):
            # Alive but not (yet) answering: a server that is still starting or busy. Wait for it.
            return _wait_until_up(data_dir, None, timeout, expect_pid=server.pid)
        _clear_stale_state(data_dir, state)
        ensure_credentials(data_dir)
        with open(data_dir / LOG_FILE, "ab", opener=private_opener) as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "crawler.store.embedded.server",
                    "--data-dir",
                    str(data_dir),
                    "--port",
                    str(port),
                    *server_args,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # detached: survives the crawl and its Ctrl-C
                close_fds=True,
                cwd=_project_root(),
            )
        _children[process.pid] = process
        return _wait_until_up(data_dir, process, timeout, expect_pid=process.pid)


def _project_root() -> str:
    """Run the child from the directory holding the ``crawler`` package, so ``-m`` finds it (also uninstalled)."""
    return str(Path(__file__).resolve().parents[len(__name__.split(".")) - 1])


def _wait_until_up(
    data_dir: Path, process: subprocess.Popen[bytes] | None, timeout: float, *, expect_pid: int
) -> EmbeddedServer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise EmbeddedServerError(
                f"embedded server exited with code {process.returncode} before it answered; "
                f"{data_dir / LOG_FILE}:\n{_log_tail(data_dir)}"
            )
        if process is None and not _pid_alive(expect_pid):
            raise EmbeddedServerError(
                f"embedded server (pid {expect_pid}) exited while starting; "
                f"{data_dir / LOG_FILE}:\n{_log_tail(data_dir)}"
            )
        server = _state_server(data_dir, _read_state(data_dir))
        if server is not None and server.pid == expect_pid and _ping(server.port, timeout=1.0):
            return server
        time.sleep(0.1)
    raise EmbeddedServerError(
        f"embedded server (pid {expect_pid}) did not answer within {timeout:.0f}s; "
        f"{data_dir / LOG_FILE}:\n{_log_tail(data_dir)}"
    )


def stop_embedded_server(data_dir: Path, timeout: float = 15.0) -> bool:
    """Stop the server of ``data_dir``: SIGTERM, wait, SIGKILL as a last resort. False if none ran."""
    data_dir = Path(data_dir).resolve()
    if not data_dir.is_dir():
        return False  # nothing was ever started there: nothing to stop, and no lock file to create
    with _start_lock(data_dir):
        state = _read_state(data_dir)
        server = _state_server(data_dir, state)
        if server is None or not _alive(data_dir, server):
            _clear_stale_state(data_dir, state)
            return False
        os.kill(server.pid, signal.SIGTERM)
        if not _wait_for_exit(data_dir, server.pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGKILL)
            _wait_for_exit(data_dir, server.pid, 5.0)
        _clear_stale_state(data_dir, state)
        return True


def _wait_for_exit(data_dir: Path, pid: int, timeout: float) -> bool:
    """Wait until the server has released its lifetime lock, i.e. its process has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _server_lock_held(data_dir):
            child = _children.pop(pid, None)
            if child is not None:  # our own child: reap it, it is exiting
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=5.0)
            return True
        time.sleep(0.05)
    return False
