"""The local stack as one object: prepare (moto, Cognito, environment, app, tables, restore),
serve (one aiohttp port), stop (disconnects, final snapshot, moto down)."""

from __future__ import annotations

import importlib
import json
import logging
import mimetypes
import os
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from aiohttp import web
from chalice.app import Chalice

from local import bootstrap
from local.ids import api_id
from local.lambda_runtime import FunctionSpec, LambdaRuntime, function_specs
from local.moto_server import MotoProcess
from local.procutil import bind_socket, is_loopback, local_hosts
from local.rest_gateway import RestGateway, UserPoolTokens
from local.scheduler import Scheduler
from local.sigv4 import FunctionCredentials
from local.snapshot import DynamoSnapshot, Snapshotter
from local.streams import StreamMappings
from local.websocket_gateway import GatewayLimits, WebSocketGateway

log = logging.getLogger("local.hub")

ROOT = Path(__file__).resolve().parent.parent
BUILD_HINT = "cd frontend && npm ci && npm run build"
# On AWS the WebSocket API has a host of its own; here it shares one with the REST API
# (`/<api_gateway_stage>`, i.e. /api), so its stage, and path, is `ws`.
WS_STAGE = "ws"


@dataclass
class HubOptions:
    host: str = "127.0.0.1"
    port: int = 8787
    data_dir: Path = Path(".local/data")
    dynamodb_endpoint: str | None = None
    ready_file: Path | None = None
    app: str = "app:app"
    tables_hook: str = "chalicelib.store.tables:ensure_tables"
    tenant_hook: str = "chalicelib.store.tenants:ensure_tenant"
    stage: str = "dev"  # the .chalice/config.json stage deployed
    limits: GatewayLimits = field(default_factory=GatewayLimits)
    concurrency: int = 32
    snapshot_interval: float = 5.0
    schedules: bool = True
    duplicate_schedules: bool = False
    exit_with_parent: bool = False
    frontend_dir: Path = ROOT / "frontend" / "dist"
    root: Path = ROOT


def _import_attr(spec: str) -> tuple[ModuleType, Any]:
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return module, getattr(module, attr or "app")


class Hub:
    def __init__(self, options: HubOptions) -> None:
        if not is_loopback(options.host):
            raise ValueError(f"--host must be a loopback address, not {options.host!r}")
        self.options = options
        self.data_dir = options.data_dir.resolve()
        self.moto = MotoProcess(log_path=self.data_dir / "moto.log", env=bootstrap.MOTO_ENV)
        self.sock: socket.socket | None = None
        self.port = 0
        self.cognito: bootstrap.CognitoSetup | None = None
        self.chalice_config: dict[str, Any] = {}
        self.app: Chalice | None = None
        self.snapshot: DynamoSnapshot | None = None
        self.restored: dict[str, int] = {}
        self._restored_data: dict[str, Any] | None = None
        self.runtime: LambdaRuntime | None = None
        self.gateway: WebSocketGateway | None = None
        self.scheduler: Scheduler | None = None
        self.streams: StreamMappings | None = None
        self.snapshotter: Snapshotter | None = None
        self.runner: web.AppRunner | None = None
        self.api_id = api_id()
        self.stack: dict[str, str] = {}
        # The functions' per-run AWS credentials: only they can sign `@connections` calls.
        self.credentials = FunctionCredentials.generate()

    # ------------------------------------------------------------------ URLs
    @property
    def base_url(self) -> str:
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/" + WS_STAGE

    @property
    def management_endpoint(self) -> str:
        """`https://{api-id}.execute-api.{region}.amazonaws.com/{stage}` on AWS."""
        return f"{self.base_url}/{WS_STAGE}"

    @property
    def rest_stage(self) -> str:
        return str(bootstrap.chalice_config(self.chalice_config, self.options.stage).api_gateway_stage or "api")

    def urls(self) -> dict[str, Any]:
        assert self.cognito is not None
        return {
            "baseUrl": self.base_url,
            "apiUrl": f"{self.base_url}/{self.rest_stage}",
            "wsUrl": self.ws_url,
            "managementUrl": self.management_endpoint,
            # For tests that play a function: the only credentials `@connections` accepts.
            "managementCredentials": {
                "accessKeyId": self.credentials.access_key_id,
                "secretAccessKey": self.credentials.secret_access_key,
            },
            "configUrl": self.base_url + "/config.json",
            "schedulesUrl": self.base_url + "/_local/schedules",
            "motoUrl": self.moto.url,
            "dynamodbEndpoint": self.options.dynamodb_endpoint or self.moto.url,
            "region": bootstrap.REGION,
            "stage": self.options.stage,
            "userPoolId": self.cognito.user_pool_id,
            "clientId": self.cognito.client_id,
            "agentUsername": bootstrap.DEMO_AGENTS[0][0],
            "agentPassword": bootstrap.DEMO_PASSWORD,
            "agent2Username": bootstrap.DEMO_AGENTS[1][0],
            "agents": [
                {"username": u, "name": n, "password": bootstrap.DEMO_PASSWORD} for u, n in bootstrap.DEMO_AGENTS
            ],
            "tenant": bootstrap.DEMO_TENANT,
            "widgetKey": bootstrap.DEMO_WIDGET_KEY,
            "dataDir": str(self.data_dir),
            "pid": os.getpid(),
        }

    # ------------------------------------------------------------------ prepare (blocking)
    def prepare(self) -> None:
        opts = self.options
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.sock = bind_socket(opts.host, opts.port)
        except OSError as exc:
            raise SystemExit(f"cannot listen on {opts.host}:{opts.port} ({exc.strerror}); try --port 0") from exc
        self.port = int(self.sock.getsockname()[1])
        self.chalice_config = bootstrap.read_chalice_config(opts.root)
        config = bootstrap.chalice_config(self.chalice_config, opts.stage)

        moto_url = self.moto.start(allowed_origins=self.local_origins)
        log.info("moto on %s", moto_url)
        self.cognito = bootstrap.setup_cognito(moto_url)
        secret_id = config.environment_variables.get("WIDGET_SECRET_ID") or bootstrap.DEFAULT_WIDGET_SECRET_ID
        bootstrap.ensure_secret(moto_url, secret_id, bootstrap.widget_secret_value(self.data_dir))
        self.stack = bootstrap.stack_environment(
            moto_url=moto_url,
            dynamodb_endpoint=opts.dynamodb_endpoint,
            management_endpoint=self.management_endpoint,
            cognito=self.cognito,
            widget_secret_id=secret_id,
        )
        # The hub itself imports the app (to find its functions) and runs the setup hooks;
        # the handlers run in processes of their own (`start`).
        bootstrap.apply_environment(bootstrap.hub_environment(config, self.stack))

        if str(opts.root) not in sys.path:
            sys.path.insert(0, str(opts.root))
        _, app = _import_attr(opts.app)
        if not isinstance(app, Chalice):
            raise TypeError(f"{opts.app} is not a Chalice app")
        self.app = app
        self._call_hook(opts.tables_hook)

        if opts.dynamodb_endpoint is None:
            client = boto3.client("dynamodb", endpoint_url=moto_url, region_name=bootstrap.REGION)
            self.snapshot = DynamoSnapshot(client, self.data_dir / "dynamodb.json")
            self._restored_data = self.snapshot.read()
            if self._restored_data is not None:
                self.restored = self.snapshot.restore(self._restored_data)
                log.info("restored %s", ", ".join(f"{n}={c}" for n, c in self.restored.items()) or "no tables")
        self._call_hook(opts.tenant_hook, bootstrap.DEMO_TENANT, bootstrap.DEMO_TENANT_NAME, bootstrap.DEMO_WIDGET_KEY)
        if self._hook_available(opts.tenant_hook):
            try:
                bootstrap.register_demo_agents(self.cognito)
            except Exception as exc:  # a stack started with other tables (tests/local's apps)
                log.warning("demo agents not put in the agent directory: %s", exc)

    @staticmethod
    def _hook_available(spec: str) -> bool:
        """The hub's own tenant hook (a test app without `chalicelib` gets no directory either)."""
        try:
            _import_attr(spec)
        except (ImportError, AttributeError):
            return False
        return True

    @staticmethod
    def _call_hook(spec: str, *args: Any) -> None:
        """`module:function`; an app without it (e.g. a test app) only gets a warning."""
        try:
            _, hook = _import_attr(spec)
        except (ImportError, AttributeError) as exc:
            log.warning("setup hook %s not available (%s); skipped", spec, exc)
            return
        hook(*args)

    # ------------------------------------------------------------------ serve
    def _function_specs(self, app: Chalice) -> list[FunctionSpec]:
        specs = []
        for name, handler in function_specs(app):
            config = bootstrap.chalice_config(self.chalice_config, self.options.stage, name)
            function_name = f"{app.app_name}-{self.options.stage}-{name}"
            environment = bootstrap.function_environment(config, function_name, handler, self.stack, self.credentials)
            timeout, memory = float(config.lambda_timeout or 60), int(config.lambda_memory_size or 128)
            specs.append(FunctionSpec(name, handler, function_name, timeout, memory, environment))
        return specs

    async def start(self) -> None:
        assert self.app is not None and self.sock is not None
        opts = self.options
        self.runtime = LambdaRuntime(
            self.app,
            self._function_specs(self.app),
            app_spec=opts.app,
            stage=opts.stage,
            concurrency=opts.concurrency,
            root=opts.root,
        )
        await self.runtime.start()
        host = f"[{opts.host}]" if ":" in opts.host else opts.host
        self.gateway = WebSocketGateway(
            self.runtime,
            stage=WS_STAGE,
            api_id=self.api_id,
            domain_name=f"{host}:{self.port}",
            limits=opts.limits,
            credentials=self.credentials,
        )
        rest = RestGateway(
            self.runtime,
            stage=self.rest_stage,
            integration_timeout=opts.limits.integration_timeout,
            user_pools=UserPoolTokens(self.moto.url),
        )
        self.scheduler = Scheduler(self.runtime, enabled=opts.schedules, duplicate_deliveries=opts.duplicate_schedules)

        web_app = web.Application(client_max_size=10 * 1024 * 1024, middlewares=[self._only_local])
        self.gateway.add_routes(web_app)
        rest.add_routes(web_app)
        web_app.router.add_get("/config.json", self._config_json)
        web_app.router.add_get("/_local/schedules", self._list_schedules)
        web_app.router.add_post("/_local/schedules/{name}/run", self._run_schedule)
        web_app.router.add_get("/_local/status", self._status)
        web_app.router.add_route("GET", "/{path:.*}", self._static)

        self.runner = web.AppRunner(web_app, handle_signals=False, access_log=None, shutdown_timeout=5.0)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()
        self.scheduler.start()
        # The DynamoDB stream functions (the counters push), fed as Lambda's event source mapping does.
        self.streams = StreamMappings(
            self.runtime, opts.dynamodb_endpoint or self.moto.url, duplicate_deliveries=opts.duplicate_schedules
        )
        await self.streams.start()
        if self.snapshot is not None:
            self.snapshotter = Snapshotter(self.snapshot, self.runtime.gate, interval=opts.snapshot_interval)
            self.snapshotter.prime(self._restored_data)
            self.snapshotter.start()
        if opts.ready_file is not None:
            self._write_ready(opts.ready_file)

    def _write_ready(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = dict(
            self.urls(), schedules=sorted(self.scheduler.functions) if self.scheduler else [], restored=self.restored
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ready-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, path)

    async def stop(self) -> None:
        """Clean shutdown: close sockets ($disconnect each), finish schedules, final snapshot."""
        timeout = (self.runtime.longest_timeout if self.runtime else 10.0) + 1.0
        if self.options.ready_file is not None:
            self.options.ready_file.unlink(missing_ok=True)
        if self.gateway is not None:
            await self.gateway.shutdown(timeout)
        if self.scheduler is not None:
            await self.scheduler.stop(timeout)
        if self.streams is not None:
            await self.streams.stop()
        if self.runner is not None:
            await self.runner.cleanup()
        if self.snapshotter is not None:
            await self.snapshotter.stop()
        if self.runtime is not None:
            await self.runtime.close()

    def stop_moto(self) -> None:
        self.moto.stop()
        if self.sock is not None:
            self.sock.close()

    @property
    def local_origins(self) -> list[str]:
        """The hub's own pages, as browsers name them in `Origin`."""
        return sorted(f"http://{host}" for host in local_hosts(self.port, self.options.host))

    @web.middleware
    async def _only_local(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Refuses a `Host` that is not this machine's: a page of another site whose name
        resolves to 127.0.0.1 (DNS rebinding) must not reach any route. Pages of other sites
        may open the WebSocket and call the REST API (as on AWS: the widget runs on the
        tenants' sites) but not drive the local stack itself (`/_local/...`)."""
        if request.headers.get("Host") not in local_hosts(self.port, self.options.host):
            return web.json_response({"message": "Forbidden: this Host is not the local stack's"}, status=403)
        origin = request.headers.get("Origin")
        if request.path.startswith("/_local/") and origin is not None and origin not in self.local_origins:
            return web.json_response({"message": "Forbidden: this Origin is not the local stack's"}, status=403)
        response: web.StreamResponse = await handler(request)
        return response

    # ------------------------------------------------------------------ small endpoints
    def _public_base(self, request: web.Request) -> str:
        """The base URL as the browser reached it (localhost vs 127.0.0.1 matters for CORS)."""
        host = request.host
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        if name in ("localhost", "[::1]") or name.startswith("127."):
            return f"http://{host}"
        return self.base_url

    async def _config_json(self, request: web.Request) -> web.Response:
        assert self.cognito is not None
        base = self._public_base(request)
        body = {
            "apiUrl": f"{base}/{self.rest_stage}",
            "wsUrl": base.replace("http://", "ws://", 1) + "/" + WS_STAGE,
            "cognito": {
                "endpoint": self.moto.url,
                "region": bootstrap.REGION,
                "userPoolId": self.cognito.user_pool_id,
                "clientId": self.cognito.client_id,
            },
            "widgetKey": bootstrap.DEMO_WIDGET_KEY,
            "tenant": bootstrap.DEMO_TENANT,
            "stage": self.options.stage,
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    async def _list_schedules(self, request: web.Request) -> web.Response:
        assert self.scheduler is not None
        return web.json_response({"schedules": self.scheduler.describe(), "automatic": self.scheduler.enabled})

    async def _run_schedule(self, request: web.Request) -> web.Response:
        assert self.scheduler is not None
        name = request.match_info["name"]
        try:
            result = await self.scheduler.run_now(name)
        except KeyError:
            return web.json_response(
                {"message": f"no schedule named {name!r}", "schedules": sorted(self.scheduler.functions)}, status=404
            )
        return web.json_response(result, status=200 if result["ok"] else 500)

    async def _status(self, request: web.Request) -> web.Response:
        assert self.gateway is not None
        return web.json_response(
            {
                "connections": sorted(self.gateway.connections),
                "disconnectInvocations": self.gateway.disconnects,
                "snapshotWrites": self.snapshotter.writes if self.snapshotter else None,
                "restored": self.restored,
            }
        )

    async def _static(self, request: web.Request) -> web.StreamResponse:
        dist = self.options.frontend_dir.resolve()
        if not dist.is_dir():
            html = (
                "<!doctype html><title>Flow hub: frontend not built</title>"
                f"<h1>frontend/dist is missing</h1><p>Build it with <code>{BUILD_HINT}</code>, then reload."
                f" The API is at <a href='/api/'>/api</a>, WebSocket at <code>{self.ws_url}</code>.</p>"
            )
            return web.Response(status=404, text=html, content_type="text/html")
        relative = request.match_info.get("path", "")
        target = (dist / relative).resolve()
        if not target.is_relative_to(dist):
            raise web.HTTPNotFound()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            raise web.HTTPNotFound(text=f"{relative} is not in frontend/dist")
        content_type, _ = mimetypes.guess_type(target.name)
        headers = {"Cache-Control": "no-cache"}
        if content_type:
            headers["Content-Type"] = content_type
        return web.FileResponse(target, headers=headers)
