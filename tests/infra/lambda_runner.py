"""One Lambda "container" for the artifact test; stdlib only, run as `python -S -I -B lambda_runner.py`.

    argv: TASK_DIR RUNTIME_DIR HANDLER

Like the Lambda Python runtime, it puts the unpacked deployment package (TASK_DIR, i.e.
/var/task) first on the path and the runtime's own packages (RUNTIME_DIR: boto3 and
botocore) after it, imports the handler's module once (a cold start), then serves
invocations: one JSON line per event on stdin, one JSON line per result on the original
stdout. Everything the app prints goes to stderr, as its logs would go to CloudWatch.

Test instrumentation, not part of the package: every AWS API call the handler makes is
recorded (service, operation and the resources it names) so the test can check each one
against the function's own IAM role.
"""

import json
import os
import sys
import time
import traceback
import uuid
from typing import Any

task_dir, runtime_dir, handler_name = sys.argv[1:4]
sys.path[:0] = [task_dir, runtime_dir]
protocol = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)  # the app's stdout (Powertools logs) goes to stderr
sys.stdout = sys.stderr

CALLS: list[dict[str, Any]] = []


def _record_calls() -> None:
    import botocore.client

    original = botocore.client.BaseClient._make_api_call

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        meta = self.meta
        CALLS.append(
            {
                "service": meta.service_model.signing_name,
                "operation": operation_name,
                "endpoint": meta.endpoint_url,
                "params": _resources(api_params),
            }
        )
        return original(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = make_api_call


def _resources(params: dict[str, Any]) -> dict[str, Any]:
    """The parts of a request that name resources (never item contents)."""
    keep: dict[str, Any] = {}
    for key in ("TableName", "IndexName", "SecretId", "ConnectionId"):
        if key in params:
            keep[key] = params[key]
    if "TransactItems" in params:
        keep["TransactItems"] = [
            {op: {"TableName": body["TableName"]} for op, body in item.items()} for item in params["TransactItems"]
        ]
    for key in ("RequestItems",):
        if key in params:
            keep[key] = sorted(params[key])
    return keep


class Context:
    """The fields of Lambda's context object the app and Powertools read."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.function_name = spec["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["function_arn"]
        self.memory_limit_in_mb = spec["memory_mb"]
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = spec["log_group"]
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + spec["timeout_s"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _trace_header() -> str:
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"


def main() -> int:
    _record_calls()
    module_name, attr = handler_name.rsplit(".", 1)
    started = time.monotonic()
    try:
        os.environ["_X_AMZN_TRACE_ID"] = _trace_header()
        module = __import__(module_name)
        handler = getattr(module, attr)
    except BaseException:
        protocol.write(json.dumps({"ready": False, "error": traceback.format_exc()}) + "\n")
        return 1
    protocol.write(json.dumps({"ready": True, "init_ms": round((time.monotonic() - started) * 1000)}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        del CALLS[:]
        os.environ["_X_AMZN_TRACE_ID"] = _trace_header()
        try:
            result = handler(request["event"], Context(request["context"]))
            reply = {"result": result}
        except BaseException:
            reply = {"error": traceback.format_exc()}
        reply["calls"] = list(CALLS)
        protocol.write(json.dumps(reply, default=str) + "\n")
    return 0


sys.exit(main())
