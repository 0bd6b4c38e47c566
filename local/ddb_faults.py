"""A DynamoDB fault injector for the local stack: a small HTTP proxy in front of moto.

`python -m local.ddb_faults --upstream http://127.0.0.1:PORT --port 0 --ready-file F` forwards
every DynamoDB call to moto and, once faults are switched on, makes some of them fail the way
DynamoDB and the network do:

- `throttle`: answered 400 `ThrottlingException` without reaching moto (the SDK backs off and
  retries);
- `drop_before`: the connection is closed before the call reaches moto (nothing applied; the
  SDK sees a closed connection and retries);
- `drop_after`: the call is applied by moto, then the connection is closed before the answer
  (the SDK retries a call that already happened: the hard case for idempotency);
- `delay`: the call waits `delay_ms` (a random span) before it is forwarded.

Each call draws from a seeded random generator, so a run is repeatable. The hub reaches it as
its DynamoDB endpoint (`python -m local.run --dynamodb-endpoint <proxy url>`); Cognito and
Secrets Manager stay on the stack's own moto. Control endpoints (JSON): `GET /_faults` (the
configuration and the counts per operation), `POST /_faults` (a new configuration; counts are
kept), `POST /_faults/reset` (zero the counts). Faults start switched off, so table creation
and bootstrap run clean. Local-only: never packaged.

`FaultProxy` starts it as a subprocess and reads its counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from aiohttp import ClientSession, ClientTimeout, web

log = logging.getLogger("local.ddb_faults")
ROOT = Path(__file__).resolve().parent.parent

# Calls that set the stack up (tables, TTL): never faulted.
CONTROL_PLANE = frozenset(
    {
        "CreateTable",
        "DeleteTable",
        "DescribeTable",
        "ListTables",
        "UpdateTable",
        "UpdateTimeToLive",
        "DescribeTimeToLive",
    }
)
_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade"}


@dataclass
class FaultConfig:
    enabled: bool = False
    throttle: float = 0.0
    drop_before: float = 0.0
    drop_after: float = 0.0
    delay: float = 0.0
    delay_ms: tuple[int, int] = (5, 150)
    seed: int = 9
    # Operations faults apply to (empty: every data-plane operation).
    ops: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        cfg = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        cfg.delay_ms = (int(cfg.delay_ms[0]), int(cfg.delay_ms[1]))
        return cfg


class Injector:
    def __init__(self, upstream: str, config: FaultConfig) -> None:
        self.upstream = upstream.rstrip("/")
        self.config = config
        self.random = random.Random(config.seed)
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.session: ClientSession | None = None

    def configure(self, config: FaultConfig) -> None:
        if config.seed != self.config.seed:
            self.random = random.Random(config.seed)
        self.config = config

    def _applies(self, op: str) -> bool:
        cfg = self.config
        return cfg.enabled and op not in CONTROL_PLANE and (not cfg.ops or op in cfg.ops)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        target = request.headers.get("X-Amz-Target", "")
        op = target.rsplit(".", 1)[-1] or request.method
        count = self.counts[op]
        count["calls"] += 1
        cfg = self.config
        fault = ""
        if self._applies(op):
            draw = self.random.random()
            for name in ("throttle", "drop_before", "drop_after"):
                p = float(getattr(cfg, name))
                if draw < p:
                    fault = name
                    break
                draw -= p
            if cfg.delay and self.random.random() < cfg.delay:
                count["delayed"] += 1
                await asyncio.sleep(self.random.uniform(*cfg.delay_ms) / 1000)
        if fault == "throttle":
            count["throttled"] += 1
            payload = {
                "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                "message": "Rate of requests exceeds the allowed throughput.",
            }
            return web.Response(status=400, body=json.dumps(payload), content_type="application/x-amz-json-1.0")
        if fault == "drop_before":
            count["dropped_before"] += 1
            return self._drop(request)
        upstream = await self._forward(request, body)
        if fault == "drop_after":
            count["dropped_after"] += 1  # moto applied it; the caller never hears so
            return self._drop(request)
        count["forwarded"] += 1
        return upstream

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        if self.session is None:
            self.session = ClientSession(timeout=ClientTimeout(total=60))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self.session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as res:
            data = await res.read()
            out = {k: v for k, v in res.headers.items() if k.lower() not in _HOP and k.lower() != "content-encoding"}
            return web.Response(status=res.status, body=data, headers=out)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.close()
        raise ConnectionResetError("dropped by the fault injector")

    # ------------------------------------------------------------------ control
    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"config": asdict(self.config), "counts": self.snapshot()})

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {op: dict(c) for op, c in sorted(self.counts.items())}

    async def set_config(self, request: web.Request) -> web.Response:
        self.configure(FaultConfig.from_json(await request.json()))
        return web.json_response({"config": asdict(self.config)})

    async def reset(self, request: web.Request) -> web.Response:
        self.counts.clear()
        return web.json_response({"counts": {}})


def app(injector: Injector) -> web.Application:
    application = web.Application(client_max_size=32 * 1024 * 1024)
    application.router.add_get("/_faults", injector.stats)
    application.router.add_post("/_faults", injector.set_config)
    application.router.add_post("/_faults/reset", injector.reset)
    application.router.add_route("*", "/{tail:.*}", injector.handle)
    return application


async def _serve(args: argparse.Namespace) -> None:
    config = FaultConfig.from_json(json.loads(args.config)) if args.config else FaultConfig()
    injector = Injector(args.upstream, config)
    runner = web.AppRunner(app(injector), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    if args.ready_file:
        Path(args.ready_file).write_text(json.dumps({"url": f"http://{args.host}:{port}"}), encoding="utf-8")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    if injector.session is not None:
        await injector.session.close()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="moto's URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", default=None)
    parser.add_argument("--config", default=None, help="initial FaultConfig as JSON")
    args = parser.parse_args(argv)
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)  # dropped connections are the point
    asyncio.run(_serve(args))


class FaultProxy:
    """`local.ddb_faults` as a subprocess in front of `upstream`; `configure`, `counts`."""

    def __init__(self, upstream: str, data_dir: Path, config: FaultConfig | None = None) -> None:
        self.upstream = upstream
        self.data_dir = data_dir
        self.config = config or FaultConfig()
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 20.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ready = self.data_dir / "faults-ready.json"
        ready.unlink(missing_ok=True)
        self._log = (self.data_dir / "faults.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local.ddb_faults",
                "--upstream",
                self.upstream,
                "--ready-file",
                str(ready),
                "--config",
                json.dumps(asdict(self.config)),
            ],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready.exists():
                self.url = str(json.loads(ready.read_text(encoding="utf-8"))["url"])
                return self.url
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the fault injector did not start (see {self.data_dir / 'faults.log'})")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 - loopback
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as res:  # noqa: S310 - loopback http only
            return json.loads(res.read())

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self._call("POST", "/_faults", asdict(config))

    def counts(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = self._call("GET", "/_faults")["counts"]
        return result

    def reset(self) -> None:
        self._call("POST", "/_faults/reset", {})

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


if __name__ == "__main__":
    main()
