#!/usr/bin/env python3
"""Run a real ClickHouse HTTP server from chDB's libchdb.so (the whole clickhouse-local program).

chDB's JS API cannot open listeners, but the C entry point `query_stable_v2(argc, argv)` runs the
clickhouse-local command line, and that path does wire up the HTTP listener. This script calls it
with a query that starts the listener and then sleeps forever, so the process serves until it gets
SIGTERM (about 1-2 s to stop). It listens on 127.0.0.1 only: the `default` user has no password.

Usage: clickhouse-dev.py --lib /path/to/libchdb.so --path DATA_DIR --port 8123
Started by src/sinks/clickhouse/local-server.ts (tests, `switchyard clickhouse-dev`).
"""
import argparse
import ctypes
import os
import signal
import sys

KEEP_ALIVE = (
    "SYSTEM START LISTEN HTTP; "
    "SELECT sleepEachRow(1) FROM system.numbers "
    "SETTINGS function_sleep_max_microseconds_per_block=0, max_block_size=1 FORMAT Null"
)


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the parent exits, so a crashed test leaves no server behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the parent already died before prctl took effect
            sys.exit(0)
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", required=True, help="path to libchdb.so")
    parser.add_argument("--path", required=True, help="data directory")
    parser.add_argument("--port", required=True, type=int, help="HTTP port on 127.0.0.1")
    parser.add_argument("--keep-with-parent", action="store_true",
                        help="do not stop when the parent process exits")
    args = parser.parse_args()

    if not args.keep_with_parent:
        die_with_parent()
    os.makedirs(args.path, exist_ok=True)
    lib = ctypes.CDLL(args.lib, mode=ctypes.RTLD_GLOBAL)
    argv = [
        "clickhouse",
        f"--path={args.path}",
        "--listen_host=127.0.0.1",
        f"--http_port={args.port}",
        "--multiquery",
        f"--query={KEEP_ALIVE}",
    ]
    c_argv = (ctypes.c_char_p * len(argv))(*[a.encode() for a in argv])
    lib.query_stable_v2.restype = ctypes.c_void_p
    lib.query_stable_v2.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    lib.query_stable_v2(len(argv), c_argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
