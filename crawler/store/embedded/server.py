"""The embedded MongoDB-compatible server process: ``python -m crawler.store.embedded.server --data-dir DIR``.

newsmon starts this as a detached process when ``MONGO_URI`` is unset (see :mod:`crawler.store.embedded.launcher`),
so that every reader and writer (crawls, consumers, the CLI) talks to one server over TCP exactly as to
MongoDB, and nothing else in newsmon imports mongoeco. It serves mongoeco's wire protocol on 127.0.0.1
only, over one SQLite file, with newsmon's insert fast path applied (:mod:`crawler.store.embedded.fastpath`)
and cursor ids sent as BSON longs, as every official driver expects (:mod:`crawler.store.embedded.wire`).

Layout of ``DIR``::

    db/newsmon.sqlite3   the data (SQLite, WAL mode)
    credentials.json     {user, password}: the only user the server accepts (SCRAM-SHA-256), made at first start
    server.json          {pid, port, started_at, mongoeco_version, fastpath, wire, auth}: written atomically only once
                         the port is listening, removed on clean shutdown
    server.lock          flock held for the server's lifetime: one server per data dir
    server.log           stdout/stderr of the detached process (opened by the starter)

The process runs with umask 077 and tightens a data dir left with looser modes, so the directory is 0700 and
every file in it 0600 (:mod:`crawler.store.embedded.private`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import IO

from crawler.store.embedded.private import private_dir, tighten_tree

log = logging.getLogger("newsmon.embedded_server")

STATE_FILE = "server.json"
LOCK_FILE = "server.lock"
LOG_FILE = "server.log"
DB_DIR = "db"
DB_FILE = "newsmon.sqlite3"
HOST = "127.0.0.1"

_LIFETIME_LOCK: IO[str] | None = None  # kept open until the process exits


def db_path(data_dir: Path) -> Path:
    return data_dir / DB_DIR / DB_FILE


def write_json_atomic(path: Path, payload: dict[str, object]) -> None:
    """Write via a temp file + rename, so a reader never sees a half-written state file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _hold_server_lock(data_dir: Path, wait: float = 3.0) -> IO[str]:
    """Take the per-data-dir lifetime lock: two servers on one SQLite file would fight over it.

    The lock is never released explicitly: the kernel drops it when this process has fully exited, which
    is what clients wait for (``crawler.store.embedded.launcher``). Clients probe it with a shared lock for a moment,
    hence the short retry.
    """
    handle = open(data_dir / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process lifetime
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise SystemExit(
                    f"another embedded server already serves {data_dir} (lock {LOCK_FILE} is held)"
                ) from None
            time.sleep(0.05)


async def serve(data_dir: Path, port: int, *, fastpath: bool = True) -> None:
    """Run until SIGTERM/SIGINT; the state file exists exactly while clients can connect."""
    import mongoeco
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer
    from mongoeco.wire.auth import WireAuthUser

    from crawler.store.embedded import fastpath as mongoeco_fastpath
    from crawler.store.embedded import wire as mongoeco_wire
    from crawler.store.embedded.launcher import AUTH_MECHANISM, ensure_credentials

    private_dir(db_path(data_dir).parent)
    applied = mongoeco_fastpath.apply() if fastpath else False
    wire = mongoeco_wire.apply()  # not a speed-up but correctness for other drivers: also with --stock
    if applied:
        # Indexes created by earlier runs (or by a stock run) get their shadow indexes before serving.
        count = mongoeco_fastpath.ensure_shadow_indexes_for_file(db_path(data_dir))
        log.info("shadow indexes ensured (%d statements)", count)
    elif not fastpath:
        log.info("fast path disabled (--stock): stock mongoeco")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    state_path = data_dir / STATE_FILE
    engine = SQLiteEngine(str(db_path(data_dir)))
    credentials = ensure_credentials(data_dir)
    owner = WireAuthUser(
        credentials.user,
        credentials.password,
        mechanisms=(AUTH_MECHANISM,),
        roles=({"role": "root", "db": "admin"},),
    )
    async with AsyncMongoEcoProxyServer(engine=engine, host=HOST, port=port, auth_users=(owner,)) as server:
        address = server.address
        write_json_atomic(
            state_path,
            {
                "pid": os.getpid(),
                "port": address.port,
                "started_at": dt.datetime.now(dt.UTC).isoformat(),
                "mongoeco_version": mongoeco.__version__,
                "fastpath": applied,
                "wire": wire,
                "auth": True,
            },
        )
        log.info("listening on %s:%d, data %s (pid %d)", HOST, address.port, db_path(data_dir), os.getpid())
        try:
            await stop.wait()
            log.info("shutting down")
        finally:
            with contextlib.suppress(FileNotFoundError):
                state_path.unlink()
    log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.store.embedded.server", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free port)")
    parser.add_argument(
        "--stock", action="store_true", help="do not apply the insert fast path (for benchmarks and comparison)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # the SQLite files, server.json and anything else this process writes: owner only
    data_dir: Path = private_dir(args.data_dir.resolve())
    tighten_tree(data_dir)
    global _LIFETIME_LOCK
    _LIFETIME_LOCK = _hold_server_lock(data_dir)
    asyncio.run(serve(data_dir, args.port, fastpath=not args.stock))
    return 0


if __name__ == "__main__":
    sys.exit(main())
