"""Start the local stack as a subprocess from tests: `HubProcess` and the `LocalHub` handle
the `local_hub` fixture (tests/conftest.py) yields.

Each hub has its own moto, its own free port and its own data dir, so test sessions
never share state. The hub writes its URLs to a ready file once it serves; its output
goes to `<data-dir>/hub.log`, shown when it fails to start.
"""

from __future__ import annotations

import functools
import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3

from local.bootstrap import DUMMY_CREDENTIALS

ROOT = Path(__file__).resolve().parent.parent


class HubStartError(RuntimeError):
    pass


# Customers come from many addresses, and the hub limits widget sessions per tenant and address
# (`sessions_per_minute`). Every test customer gets its own loopback address (Linux routes all of
# 127.0.0.0/8 to `lo`), so a fast run of many tests against one hub does not read as one address
# opening sessions in a loop; tests/e2e/test_limits_e2e.py sends from one address on purpose.
_customer_addresses = (f"127.0.{n // 250 + 1}.{n % 250 + 1}" for n in itertools.cycle(range(250 * 250)))


class _FromAddress(urllib.request.HTTPHandler):
    """urllib over a connection bound to a given local address."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.address, 0)), req)


@dataclass
class LocalHub:
    """A running local stack, as described by its ready file."""

    info: dict[str, Any]
    data_dir: Path

    @property
    def base_url(self) -> str:
        return str(self.info["baseUrl"])

    @property
    def api_url(self) -> str:
        return str(self.info["apiUrl"])

    @property
    def ws_url(self) -> str:
        return str(self.info["wsUrl"])

    @property
    def moto_url(self) -> str:
        return str(self.info["motoUrl"])

    @property
    def user_pool_id(self) -> str:
        return str(self.info["userPoolId"])

    @property
    def client_id(self) -> str:
        return str(self.info["clientId"])

    @property
    def agent_username(self) -> str:
        return str(self.info["agentUsername"])

    @property
    def agent_password(self) -> str:
        return str(self.info["agentPassword"])

    @property
    def agent2_username(self) -> str:
        return str(self.info["agent2Username"])

    @property
    def widget_key(self) -> str:
        return str(self.info["widgetKey"])

    def aws_client(self, service: str) -> Any:
        """A boto3 client of `service` against this hub's moto."""
        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=str(self.info["region"]),
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    @property
    def management_url(self) -> str:
        """`WS_MANAGEMENT_ENDPOINT`: the gateway's own `.../<stage>`."""
        return str(self.info["managementUrl"])

    def management_client(self, *, signed: bool = True) -> Any:
        """The unchanged `apigatewaymanagementapi` client, pointed at the gateway and signing
        with the functions' per-run credentials (`signed=False`: with anyone else's)."""
        keys = self.info["managementCredentials"]
        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self.management_url,
            region_name=str(self.info["region"]),
            aws_access_key_id=keys["accessKeyId"] if signed else DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["secretAccessKey"] if signed else DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def agent_token(self, username: str | None = None) -> str:
        """A real Cognito ID token (USER_PASSWORD_AUTH against moto) for a demo agent."""
        result = self.aws_client("cognito-idp").initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username or self.agent_username, "PASSWORD": self.agent_password},
        )
        return str(result["AuthenticationResult"]["IdToken"])

    def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> Any:
        """JSON in, JSON out; raises `urllib.error.HTTPError` on a non-2xx answer. `source`: the
        loopback address to send from (the caller's `sourceIp` as the hub sees it)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})  # noqa: S310
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        opener = urllib.request.build_opener(*([_FromAddress(source)] if source else []))
        with opener.open(req, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def widget_session(self, name: str | None = None) -> dict[str, Any]:
        """`POST /api/widget/session` for the demo tenant's widget key, from a loopback address
        of its own (see `_customer_addresses`)."""
        body: dict[str, Any] = {"widget_key": self.widget_key}
        if name is not None:
            body["name"] = name
        url = self.api_url + "/widget/session"
        result: dict[str, Any] = self.request("POST", url, body, source=next(_customer_addresses))
        return result

    def run_schedule(self, name: str) -> dict[str, Any]:
        """Runs a scheduled function now (`POST /_local/schedules/<name>/run`); its report."""
        try:
            result: dict[str, Any] = self.request("POST", f"{self.base_url}/_local/schedules/{name}/run")
        except urllib.error.HTTPError as exc:
            if exc.code == 500:
                failed: dict[str, Any] = json.loads(exc.read())
                return failed
            raise
        return result


class HubProcess:
    """`python -m local.run --port 0 ...` as a subprocess; `start()` returns a `LocalHub`."""

    def __init__(self, data_dir: Path, extra_args: list[str] | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.extra_args = list(extra_args or [])
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.hub: LocalHub | None = None
        self._log: IO[bytes] | None = None

    @property
    def ready_file(self) -> Path:
        return self.data_dir / "ready.json"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "hub.log"

    def start(self, timeout: float = 60.0) -> LocalHub:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ready_file.unlink(missing_ok=True)
        self._log = self.log_path.open("ab")
        args = [
            sys.executable,
            "-m",
            "local.run",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            "--ready-file",
            str(self.ready_file),
            "--exit-with-parent",
            *self.extra_args,
        ]
        env = dict(os.environ if self.env is None else self.env)
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready_file.exists():
                self.hub = LocalHub(json.loads(self.ready_file.read_text(encoding="utf-8")), self.data_dir)
                return self.hub
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        status = self.process.poll()
        self.stop()
        reason = f"exited with {status}" if status is not None else f"not ready after {timeout:.0f} s"
        raise HubStartError(f"local hub {reason}; its output:\n{self.output()}")

    def output(self, tail: int = 20000) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (a clean stop: $disconnects, final snapshot, moto down); kill if stuck."""
        code = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    code = self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    code = self.process.wait()
            else:
                code = self.process.returncode
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        self.hub = None
        return code
