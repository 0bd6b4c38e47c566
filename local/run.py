"""`python -m local.run`: the whole hub on one loopback port (see docs/local-stack.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from local.hub import BUILD_HINT, Hub, HubOptions
from local.procutil import watch_parent
from local.websocket_gateway import GatewayLimits

log = logging.getLogger("local.run")


# API Gateway's quotas, each a flag (`GatewayLimits` field, type, what it is).
_LIMITS = (
    ("idle_timeout", float, "seconds without a message before a connection is closed (AWS: 600)"),
    ("max_connection_duration", float, "seconds after which every connection is closed (AWS: 7200)"),
    ("max_frame_bytes", int, "client message (frame) quota, bigger closes with 1009 (AWS: 32768)"),
    ("max_message_bytes", int, "PostToConnection quota, bigger answers 413 (AWS: 131072)"),
    ("integration_timeout", float, "seconds API Gateway waits for a handler (AWS: 29)"),
    ("max_connects_per_second", int, "new WebSocket connections per second before 429 (AWS: 500)"),
    ("max_in_flight_per_connection", int, "frames of one connection handed to the function at once (local only)"),
)


def parse_args(argv: list[str] | None = None) -> HubOptions:
    defaults = HubOptions()
    p = argparse.ArgumentParser(
        prog="python -m local.run", description="Run the Flow hub locally (API Gateway + Lambda + moto)."
    )
    p.add_argument("--host", default=defaults.host, help="loopback address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=defaults.port, help="port; 0 picks a free one (default 8787)")
    p.add_argument("--data-dir", type=Path, default=defaults.data_dir, help="DynamoDB snapshot (default .local/data)")
    p.add_argument(
        "--dynamodb-endpoint", help="use this DynamoDB (e.g. DynamoDB Local) instead of moto's; no snapshots"
    )
    p.add_argument("--ready-file", type=Path, help="write the URLs and demo credentials here (JSON) once serving")
    p.add_argument("--no-schedules", action="store_true", help="run schedules only via /_local/schedules")
    p.add_argument("--duplicate-schedules", action="store_true", help="deliver every scheduled event twice")
    for field, kind, text in _LIMITS:
        p.add_argument("--" + field.replace("_", "-"), type=kind, default=getattr(defaults.limits, field), help=text)
    p.add_argument("--concurrency", type=int, default=defaults.concurrency, help="invocations at once per function")
    p.add_argument(
        "--snapshot-interval",
        type=float,
        default=defaults.snapshot_interval,
        help="seconds between snapshots while running (default 5; 0: only the one on a clean exit)",
    )
    p.add_argument("--stage", default=defaults.stage, help="the .chalice/config.json stage to run (default dev)")
    p.add_argument("--frontend-dir", type=Path, help="static files to serve at / (default frontend/dist)")
    p.add_argument("--app", default=defaults.app, help="module:attribute of the Chalice app (default app:app)")
    p.add_argument("--tables-hook", default=defaults.tables_hook)
    p.add_argument("--tenant-hook", default=defaults.tenant_hook)
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--exit-with-parent", action="store_true", help="stop cleanly when the parent process dies (tests)")
    a = p.parse_args(argv)
    options = HubOptions(
        host=a.host,
        port=a.port,
        data_dir=a.data_dir,
        dynamodb_endpoint=a.dynamodb_endpoint,
        ready_file=a.ready_file.resolve() if a.ready_file else None,
        app=a.app,
        tables_hook=a.tables_hook,
        tenant_hook=a.tenant_hook,
        stage=a.stage,
        limits=GatewayLimits(**{field: getattr(a, field) for field, _, _ in _LIMITS}),
        concurrency=a.concurrency,
        snapshot_interval=a.snapshot_interval,
        schedules=not a.no_schedules,
        duplicate_schedules=a.duplicate_schedules,
        exit_with_parent=a.exit_with_parent,
    )
    if a.frontend_dir is not None:
        options.frontend_dir = a.frontend_dir.resolve()
    logging.basicConfig(
        level=a.log_level.upper(), format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr
    )
    # Client libraries announce every credential and endpoint lookup at INFO.
    for noisy in ("botocore", "boto3", "pynamodb", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    return options


def _snapshots(interval: float) -> str:
    if interval > 0:
        return f"every {interval:g} s when changed, and on exit"
    return "on a clean exit only: a crash loses everything since the start"


def banner(hub: Hub) -> str:
    u = hub.urls()
    durability = (
        f"DynamoDB at {hub.options.dynamodb_endpoint} (durable there; no snapshot)"
        if hub.options.dynamodb_endpoint
        else f"{u['dataDir']}/dynamodb.json ({_snapshots(hub.options.snapshot_interval)})"
    )
    lines = [
        "",
        "Flow Conversation Live Hub - local stack",
        f"  Agent dashboard  {u['baseUrl']}/agent.html",
        f"  Widget demo      {u['baseUrl']}/",
        f"  REST API         {u['apiUrl']}",
        f"  WebSocket        {u['wsUrl']}",
        f"  @connections     {u['managementUrl']}/@connections/<connectionId>",
        f"  Config           {u['configUrl']}",
        f"  Schedules        {u['schedulesUrl']}  (POST /_local/schedules/<name>/run)",
        f"  moto (AWS APIs)  {u['motoUrl']}",
        f"  Data             {durability}",
        f"  Sign in          {u['agentUsername']} / {u['agentPassword']}   (also {u['agent2Username']})",
        f"  Widget key       {u['widgetKey']} (tenant {u['tenant']})",
    ]
    if not hub.options.frontend_dir.is_dir():
        lines.append(f"  frontend/dist is missing: build it with `{BUILD_HINT}`")
    lines.append("Ctrl-C stops (connections get $disconnect, a final snapshot is written).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    hub = Hub(options)
    try:
        hub.prepare()
    except SystemExit as exc:
        hub.stop_moto()
        print(f"local.run: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        hub.stop_moto()
        return 130
    except Exception:
        log.exception("the local stack could not start")
        hub.stop_moto()
        return 1

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        signals = 0

        def on_signal() -> None:
            nonlocal signals
            signals += 1
            if signals == 1:
                log.info("stopping (Ctrl-C again to force)")
                stop.set()
            else:
                hub.stop_moto()
                os._exit(130)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        if options.exit_with_parent:

            def parent_died() -> None:
                loop.call_soon_threadsafe(stop.set)

            watch_parent(parent_died)
        try:
            await hub.start()
            print(banner(hub), flush=True)
            await stop.wait()
        finally:
            await hub.stop()

    try:
        asyncio.run(run())
    except Exception:
        log.exception("the local stack failed")
        return 1
    finally:
        hub.stop_moto()
    log.info("stopped; moto is down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
