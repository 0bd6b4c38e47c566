"""Small process and socket helpers for the local stack and its test fixtures."""

from __future__ import annotations

import gc
import ipaddress
import os
import socket
import sys
import threading
import time
from collections.abc import Callable


def watch_parent(on_orphaned: Callable[[], None], interval: float = 0.5) -> None:
    """Calls `on_orphaned` (from a daemon thread) once this process's parent has died, so a
    killed hub never leaves moto behind, and a killed test run never leaves a hub."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        on_orphaned()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def short_gc_pauses() -> None:
    """Freezes what survived each full collection of the cyclic garbage collector (`gc.freeze`),
    so that the next full pass looks only at what arrived since.

    moto keeps every item of every table as Python objects; a full pass walked all of them, and
    moto serves one request at a time: measured in `bench.latency`, pauses of 39 → 118 ms as the
    tables grew, every request in flight waiting behind them. Frozen objects are never collected
    again: cyclic garbage that had survived a full pass stays, which a local stack can afford."""

    def freeze_after_full(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()

    gc.callbacks.append(freeze_after_full)


def log_gc_pauses(name: str, over_ms: float = 20.0) -> None:
    """`FLOW_GC_STATS=1`: writes every pause of the cyclic garbage collector longer than `over_ms`
    in this process to stderr (the hub's log), to tell its stalls from the stack's own work."""
    if os.environ.get("FLOW_GC_STATS") != "1":
        return
    started: list[float] = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - started[0]) * 1000
        if ms >= over_ms:
            print(
                f"gc pause {name}: generation {info['generation']}, {ms:.0f} ms, {info['collected']} collected, "
                f"{len(gc.get_objects(2))} objects in generation 2",
                file=sys.stderr,
                flush=True,
            )

    gc.callbacks.append(timed)


def _family(host: str) -> socket.AddressFamily:
    return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_loopback(host: str) -> bool:
    """True when every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def local_hosts(port: int, host: str = "127.0.0.1") -> frozenset[str]:
    """The `Host` headers a loopback server on `port` accepts: the names of this machine
    (127.0.0.1, localhost, [::1], and the address it serves on), with the port. Anything
    else is a page of another site whose name resolves to 127.0.0.1 (DNS rebinding)."""
    bracketed = f"[{host}]" if ":" in host else host
    names = {"127.0.0.1", "localhost", "[::1]", bracketed}
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return frozenset(hosts)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket bound before the app is imported, so `--port 0` resolves to a
    real port that can go into the environment (WS_MANAGEMENT_ENDPOINT) first."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock
