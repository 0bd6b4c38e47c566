"""Cold-start import time of `app.py` against a bare `import boto3, pynamodb`.

Each sample is a fresh interpreter (`python -c`) with the stage's environment from
`.chalice/config.json` set as Lambda would see it; the figure is the time the import
statement itself takes (interpreter start-up is the same for both and is left out),
median over `--runs` processes per stage, baseline and app interleaved. Then a few
runs under `python -X importtime` show where the app's import time goes.

Then the same two imports from the shipped package: the deployment zip of the last `make synth`
unpacked, run as the Lambda runtime runs it (`python -S -I -B`: the package and the runtime's
boto3 only, and no bytecode written, as `/var/task` is read-only), with the bytecode the
package carries and without it (what the package cost before it carried any).

Then each Lambda function of the app, cold, against a moto server: the import plus what its
first invocation adds over a warm one (its init), and the process's peak RSS next to the
memory size infra/api.py gives it (`MEMORY_MB`).

Target (issue): app import under 1.5x the bare `import boto3, pynamodb`.

    python -m bench.import_time [--runs 15] [--stages dev,prod] [--top 10] [--function-runs 3] [--package-runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import Figure, table

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
BASELINE = "import boto3, pynamodb"
APP = "import app"
# Wall time of the import, and the CPU time it used (which another process on a loaded machine
# does not inflate: a Lambda sandbox has its CPU share to itself).
TIMED = (
    "import time as _t\n_s, _c = _t.perf_counter(), _t.process_time()\n{stmt}\n"
    "print(_t.perf_counter() - _s, _t.process_time() - _c)\n"
)
CPU: dict[str, list[float]] = {}


def stage_environment(stage: str) -> dict[str, str]:
    """The process environment Lambda would give the stage's functions (no AWS endpoints)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))}
    env.update({k: str(v) for k, v in (config.get("environment_variables") or {}).items()})
    env.update({k: str(v) for k, v in config["stages"][stage].get("environment_variables", {}).items()})
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
        AWS_LAMBDA_FUNCTION_NAME=f"flow-hub-{stage}-websocket_message",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(config["stages"][stage].get("lambda_memory_size", 512)),
    )
    return env


def python(args: list[str], env: dict[str, str], what: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter (this one's executable) with `args`; raises with its stderr if it fails."""
    out = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{out.stderr[-3000:]}")
    return out


def timed_import(stmt: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds the import statement took, seconds the whole process took)."""
    t0 = time.perf_counter()
    out = python(["-c", TIMED.format(stmt=stmt)], env, repr(stmt))
    wall = time.perf_counter() - t0
    wall_import, cpu_import = out.stdout.strip().splitlines()[-1].split()
    CPU.setdefault(stmt, []).append(float(cpu_import))
    return float(wall_import), wall


# ----------------------------------------------------------------------------- -X importtime
@dataclass(frozen=True)
class Entry:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None


def parse_importtime(stderr: str) -> list[Entry]:
    """`-X importtime` lines, in their (post-)order, each with the module that imported it."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_part, cumulative_part, field = line.removeprefix("import time:").split("|", 2)
        depth = (len(field) - len(field.lstrip(" ")) - 1) // 2
        rows.append((field.strip(), int(self_part), int(cumulative_part), depth))
    parents: dict[int, int] = {}
    pending: dict[int, list[int]] = defaultdict(list)
    for i, (_, _, _, depth) in enumerate(rows):
        for child in pending.pop(depth + 1, []):
            parents[child] = i
        pending[depth].append(i)
    return [
        Entry(name, s, c, d, rows[parents[i]][0] if i in parents else None) for i, (name, s, c, d) in enumerate(rows)
    ]


def _ours(name: str | None) -> bool:
    return name is not None and (name == "app" or name.split(".")[0] == "chalicelib")


def app_subtree(entries: list[Entry]) -> list[Entry]:
    """Entries imported (directly or not) by `import app`: the run before the `app` root, post-order."""
    end = next(i for i, e in enumerate(entries) if e.name == "app" and e.depth == 0)
    start = max((i for i in range(end) if entries[i].depth == 0), default=-1) + 1
    return entries[start : end + 1]


@dataclass(frozen=True)
class Breakdown:
    edges: list[tuple[str, str, float, float]]  # (module, imported by, cumulative ms, ms beyond baseline)
    packages: list[tuple[str, float, int]]  # (top-level package, self ms beyond baseline, modules)
    total_ms: float
    beyond_ms: float


def _importtime(stmt: str, env: dict[str, str]) -> list[Entry]:
    return parse_importtime(python(["-X", "importtime", "-c", stmt], env, f"-X importtime {stmt!r}").stderr)


def importtime_breakdown(env: dict[str, str], runs: int) -> Breakdown:
    """Which imports made by app.py / chalicelib cost the most, counting only modules the
    baseline (`import boto3, pynamodb`) does not import itself: that is what trimming saves."""
    baseline = {e.name for e in _importtime(BASELINE, env)}
    edge_ms: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    package_ms: dict[str, list[float]] = defaultdict(list)
    package_modules: dict[str, int] = {}
    totals: list[float] = []
    beyond: list[float] = []
    for _ in range(runs):
        tree = app_subtree(_importtime(APP, env))
        totals.append(tree[-1].cumulative_us / 1000)
        extra = [0.0 if e.name in baseline else e.self_us / 1000 for e in tree]
        beyond.append(sum(extra))
        per_package: dict[str, float] = defaultdict(float)
        counts: dict[str, int] = defaultdict(int)
        for i, e in enumerate(tree):
            if _ours(e.parent) and not _ours(e.name):
                j = i
                while j > 0 and tree[j - 1].depth > e.depth:  # post-order: the subtree precedes its root
                    j -= 1
                edge_ms[(e.name, str(e.parent))].append((e.cumulative_us / 1000, sum(extra[j : i + 1])))
            if not _ours(e.name) and e.name not in baseline:
                per_package[e.name.split(".")[0]] += e.self_us / 1000
                counts[e.name.split(".")[0]] += 1
        for pkg, ms in per_package.items():
            package_ms[pkg].append(ms)
            package_modules[pkg] = counts[pkg]
    edges = sorted(
        (
            (m, by, statistics.median(c for c, _ in v), statistics.median(x for _, x in v))
            for (m, by), v in edge_ms.items()
        ),
        key=lambda x: x[3],
        reverse=True,
    )
    packages = sorted(
        ((p, statistics.median(v), package_modules[p]) for p, v in package_ms.items()),
        key=lambda x: x[1],
        reverse=True,
    )
    return Breakdown(edges, packages, statistics.median(totals), statistics.median(beyond))


# ----------------------------------------------------------------------------- per function
# Each Lambda function of the app, cold: a fresh interpreter with the stage's environment against a
# moto server (tables, the widget key, a tenant), which imports app.py, runs the function's first
# invocation with an AWS-shaped event, then a second one. Init = the import plus what the first
# invocation did beyond the second (building the hub, creating the DynamoDB client, lazy imports);
# that is what a cold start adds to a request. Peak RSS is the process's own at the end (VmHWM).
FUNCTION_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
handler, event = sys.argv[1], json.loads(sys.argv[2])

class Context:
    function_name = "bench"
    memory_limit_in_mb = 1024
    aws_request_id = "bench-request"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self): return 10_000

fn = getattr(app, handler)
out = fn(dict(event), Context())
t2 = time.perf_counter()
fn(dict(event), Context())
t3 = time.perf_counter()
status = out.get("statusCode") if isinstance(out, dict) else None
# VmHWM: this process's own peak. ru_maxrss would not do: Linux carries it across fork and exec,
# so a child of a large parent (bench.all after bench.ddb_calls) reported the parent's peak.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
rss_kb = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "warm": t3 - t2, "status": status,
                  "rss_kb": rss_kb}))
"""
BENCH_TENANT = "acme"
BENCH_WIDGET_KEY = "wk_acme_bench"
BENCH_CONNECTION = "benchConn0="
BENCH_SECRET = "bench-widget-signing-key-0123456789abcdef0123456789abcdef"
BENCH_CLIENT_ID = "benchclient"
SETUP_CHILD = (
    "from chalicelib.store.tables import ensure_tables; ensure_tables();"
    "from chalicelib.store.tenants import ensure_tenant;"
    f"ensure_tenant({BENCH_TENANT!r}, 'Acme', {BENCH_WIDGET_KEY!r})"
)


@dataclass(frozen=True)
class FunctionRun:
    name: str
    import_ms: float
    init_ms: float
    first_ms: float
    warm_ms: float
    rss_mb: float
    status: object


def _widget_session() -> str:
    import jwt

    now = int(time.time())
    claims = {
        "iss": "flow-hub",
        "aud": "flow-hub-widget",
        "sub": "cu_bench",
        "tenant": BENCH_TENANT,
        "name": "Kim",
        "verified": False,
        "iat": now,
        "exp": now + 3600,
        "jti": "bench",
    }
    return jwt.encode(claims, BENCH_SECRET, algorithm="HS256")


def function_events() -> dict[str, tuple[str, dict[str, Any]]]:
    """Lambda function name -> (app.py entry point, a representative first event)."""
    ws_context = {
        "connectionId": BENCH_CONNECTION,
        "domainName": "example",
        "stage": "ws",
        "apiId": "example",
        "requestId": "bench-ws",
        "identity": {"sourceIp": "127.0.0.1"},
    }

    def ws(route: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "requestContext": {**ws_context, "routeKey": route, "eventType": kind},
            "isBase64Encoded": False,
            **extra,
        }

    claims = {
        "sub": "sub-bench",
        "custom:tenant": BENCH_TENANT,
        "aud": BENCH_CLIENT_ID,
        "token_use": "id",
        "name": "Ana",
        "cognito:username": "ana",
    }
    rest = {
        "resource": "/me",
        "path": "/me",
        "httpMethod": "GET",
        "headers": {"Host": "example"},
        "multiValueHeaders": {"Host": ["example"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/me",
            "httpMethod": "GET",
            "path": "/api/me",
            "stage": "api",
            "requestId": "bench-rest",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": claims},
        },
    }
    schedule = {
        "version": "0",
        "id": "bench-schedule",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-02T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/bench"],
        "detail": {},
    }
    tenant_key = {"tenant": {"S": BENCH_TENANT}}
    counters_stream = {  # one MODIFY record of the counters table, as the event source mapping sends it
        "Records": [
            {
                "eventID": "bench-stream",
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": tenant_key,
                    "NewImage": {**tenant_key, "open_tickets": {"N": "1"}},
                    "OldImage": {**tenant_key, "open_tickets": {"N": "0"}},
                    "SequenceNumber": "100000000000000000001",
                    "SizeBytes": 60,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/counters/stream/2026-12-02",
            }
        ]
    }
    return {
        "websocket_connect": (
            "ws_connect",
            ws("$connect", "CONNECT", queryStringParameters={"session": _widget_session()}),
        ),
        "websocket_message": ("ws_message", ws("$default", "MESSAGE", body=json.dumps({"action": "heartbeat"}))),
        "websocket_disconnect": ("ws_disconnect", ws("$disconnect", "DISCONNECT")),
        "api_handler": ("app", rest),
        "escalate_overdue_callbacks": ("escalate_overdue_callbacks", schedule),
        "recompute_counters": ("recompute_counters", schedule),
        "sweep_drift": ("sweep_drift", schedule),
        "route_queue": ("route_queue", schedule),
        "push_counters": ("push_counters", counters_stream),
    }


def measure_functions(stage: str, moto_url: str, runs: int) -> list[FunctionRun]:
    """Every function of the stage, cold, `runs` times each (median per figure)."""
    from local.bootstrap import ensure_secret

    env = stage_environment(stage)
    secret_id = env.get("WIDGET_SECRET_ID", f"flow-hub/{stage}/widget-signing-key")
    env.update(
        AWS_ENDPOINT_URL=moto_url,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        COGNITO_USER_POOL_ID="us-east-1_bench",
        COGNITO_APP_CLIENT_ID=BENCH_CLIENT_ID,
        WIDGET_SECRET_ID=secret_id,
        # Nobody is connected who would be pushed to; a push would fail fast here.
        WS_MANAGEMENT_ENDPOINT="http://127.0.0.1:9/ws",
    )
    ensure_secret(moto_url, secret_id, BENCH_SECRET)
    subprocess.run([sys.executable, "-c", SETUP_CHILD], cwd=ROOT, env=env, check=True, capture_output=True)
    found: list[FunctionRun] = []
    for name, (handler, event) in function_events().items():
        samples: list[dict[str, Any]] = []
        for _ in range(runs):
            child_env = dict(env, AWS_LAMBDA_FUNCTION_NAME=f"flow-hub-{stage}-{name}")
            out = subprocess.run(
                [sys.executable, "-c", FUNCTION_CHILD, handler, json.dumps(event)],
                cwd=ROOT,
                env=child_env,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{out.stderr[-3000:]}")
            samples.append(json.loads(out.stdout.strip().splitlines()[-1]))

        def median(key: str, rows: list[dict[str, Any]] = samples) -> float:
            return float(statistics.median(float(r[key]) for r in rows))

        first, warm = median("first") * 1000, median("warm") * 1000
        found.append(
            FunctionRun(
                name,
                median("import") * 1000,
                median("import") * 1000 + max(first - warm, 0.0),
                first,
                warm,
                median("rss_kb") / 1024,
                samples[-1]["status"],
            )
        )
    return found


def report_functions(stage: str, runs: list[FunctionRun], memory: dict[str, int]) -> list[Figure]:
    print(f"-- stage {stage}: each Lambda function cold (fresh interpreter, moto; median)")
    print(
        table(
            ["function", "import ms", "init ms", "1st invocation ms", "warm ms", "peak RSS MB", "memory MB", "status"],
            [
                [r.name, r.import_ms, r.init_ms, r.first_ms, r.warm_ms, r.rss_mb, memory.get(r.name, "?"), r.status]
                for r in runs
            ],
        )
    )
    print("   init = import + (1st invocation - warm invocation): the time a cold start adds to a request.")
    print("   memory = the function's MemorySize in infra/api.py (MEMORY_MB); peak RSS must stay well below it.")
    print()
    return [
        Figure(
            "import_time",
            f"{stage}: {r.name} init / peak RSS",
            f"{r.init_ms:.0f} ms / {r.rss_mb:.0f} MB of {memory.get(r.name, 0)} MB",
            "RSS < 1/2 memory",
            bool(memory.get(r.name)) and r.rss_mb < memory[r.name] / 2,
        )
        for r in runs
    ]


def function_memory() -> dict[str, int]:
    """MEMORY_MB of infra/api.py by Chalice function name (infra's keys are the logical ids)."""
    import re

    text = (ROOT / "infra" / "api.py").read_text(encoding="utf-8")
    block = text[text.index("MEMORY_MB: dict[str, int] = {") :]
    block = block[: block.index("}")]
    logical = dict(re.findall(r'"(\w+)": (\d+)', block))

    def snake(name: str) -> str:
        return "api_handler" if name == "APIHandler" else re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    return {snake(k): int(v) for k, v in logical.items()}


# ----------------------------------------------------------------------------- run
def measure_stage(stage: str, runs: int, top: int, importtime_runs: int) -> list[Figure]:
    env = stage_environment(stage)
    timed_import(APP, env)  # warm the bytecode caches; not counted
    timed_import(BASELINE, env)
    CPU.clear()
    base: list[float] = []
    app: list[float] = []
    base_wall: list[float] = []
    app_wall: list[float] = []
    for _ in range(runs):
        b, bw = timed_import(BASELINE, env)
        a, aw = timed_import(APP, env)
        base.append(b)
        base_wall.append(bw)
        app.append(a)
        app_wall.append(aw)
    b_ms, a_ms = statistics.median(base) * 1000, statistics.median(app) * 1000
    ratio = a_ms / b_ms
    print(f"-- stage {stage} ({runs} fresh processes each, median)")
    print(
        table(
            ["import", "median ms", "min ms", "max ms", "process wall median ms"],
            [
                [BASELINE, b_ms, min(base) * 1000, max(base) * 1000, statistics.median(base_wall) * 1000],
                [APP, a_ms, min(app) * 1000, max(app) * 1000, statistics.median(app_wall) * 1000],
            ],
        )
    )
    print(f"   ratio app / baseline: {ratio:.2f}x (target < {TARGET_RATIO}x)")
    b_cpu, a_cpu = statistics.median(CPU[BASELINE]) * 1000, statistics.median(CPU[APP]) * 1000
    cpu_ratio = a_cpu / b_cpu
    print(
        f"   CPU time of the imports (median): {a_cpu:.0f} / {b_cpu:.0f} ms = {cpu_ratio:.2f}x "
        "(less inflated than wall time on a loaded machine)"
    )
    print(
        f"   fastest of each (the run least disturbed by other processes): wall {min(app) / min(base):.2f}x, "
        f"CPU {min(CPU[APP]) / min(CPU[BASELINE]):.2f}x"
    )
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    xray = bool(config["stages"][stage].get("xray"))
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, app; print(sorted(m for m in sys.modules if 'xray' in m))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    xray_modules = probe.stdout.strip().splitlines()[-1]
    print(
        f"   X-Ray {'on (Lambda active tracing)' if xray else 'off'} in this stage; X-Ray modules `import app` "
        f"loads: {xray_modules}"
    )
    breakdown = importtime_breakdown(env, importtime_runs)
    print()
    print(
        f"   heaviest imports made by app.py / chalicelib (-X importtime, median of {importtime_runs}): "
        f"`import app` = {breakdown.total_ms:.0f} ms there, {breakdown.beyond_ms:.0f} ms of it in modules "
        "the baseline does not import"
    )
    print(
        table(
            ["module", "imported by", "cumulative ms", "beyond baseline ms"],
            [list(e) for e in breakdown.edges[:top]],
        )
    )
    print("   (cumulative counts shared modules where they are first imported; 'beyond baseline' is what")
    print("   dropping or deferring that import would save)")
    print()
    print("   modules the baseline does not import, by top-level package (self time summed):")
    print(table(["package", "self ms", "modules"], [list(p) for p in breakdown.packages[:top]]))
    print()
    heaviest = ", ".join(f"{m} +{x:.0f} ms" for m, _, _, x in breakdown.edges[:3])
    return [
        Figure(
            "import_time",
            f"{stage}: import app vs boto3+pynamodb",
            f"{a_ms:.0f} / {b_ms:.0f} ms = {ratio:.2f}x",
            f"< {TARGET_RATIO}x",
            ratio < TARGET_RATIO,
        ),
        Figure(
            "import_time",
            f"{stage}: the same, CPU time",
            f"{a_cpu:.0f} / {b_cpu:.0f} ms = {cpu_ratio:.2f}x",
            f"< {TARGET_RATIO}x",
            cpu_ratio < TARGET_RATIO,
        ),
        Figure("import_time", f"{stage}: heaviest imports", heaviest),
    ]


# ----------------------------------------------------------------------------- the shipped package
PACKAGE_TIMED = "import sys\nsys.path[:0] = [{task!r}, {runtime!r}]\n" + TIMED


def measure_package(stage: str, runs: int) -> list[Figure]:
    """`import app` against the baseline from the stage's deployment zip, as the runtime loads it."""
    from infra.deploy import package_path
    from local.lambda_package import runtime_dir, unpack

    package = package_path(stage)
    if package is None:
        print(f"-- stage {stage}, shipped package: none synthesized; `make synth` first (make bench does)")
        return [Figure("import_time", f"{stage}: shipped package, import app vs boto3+pynamodb", "not synthesized")]
    env = stage_environment(stage)
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        work = Path(tmp)
        task, runtime = unpack(package, work / "task"), runtime_dir(work / "runtime")
        bare = unpack(package, work / "bare")
        for cache in list(bare.rglob("__pycache__")):
            shutil.rmtree(cache)
        compiled = sum(1 for _ in task.rglob("*.pyc"))

        def once(where: Path, stmt: str) -> float:
            code = PACKAGE_TIMED.format(task=str(where), runtime=str(runtime), stmt=stmt)
            out = python(["-S", "-I", "-B", "-c", code], env, f"{stmt!r} from {package.name}", cwd=where)
            return float(out.stdout.split()[-1]) * 1000  # CPU ms: the least disturbed by other work

        samples: dict[str, list[float]] = defaultdict(list)
        for _ in range(runs):
            for label, where, stmt in (
                ("baseline", task, BASELINE),
                ("app", task, APP),
                ("app, no bytecode", bare, APP),
            ):
                samples[label].append(once(where, stmt))
    base, app, uncompiled = (statistics.median(samples[k]) for k in ("baseline", "app", "app, no bytecode"))
    ratio = app / base
    print(
        f"-- stage {stage}, the shipped package ({package.name}, {compiled} .pyc; {runs} cold processes each, CPU ms)"
    )
    print(
        table(
            ["import (python -S -I -B, unpacked zip)", "median ms", "ratio to baseline"],
            [
                [BASELINE, base, "1.00x"],
                [APP, app, f"{ratio:.2f}x"],
                [f"{APP}, the zip without its bytecode", uncompiled, f"{uncompiled / base:.2f}x"],
            ],
        )
    )
    print(f"   the bytecode in the package saves {uncompiled - app:.0f} ms of every cold start's import")
    print()
    return [
        Figure(
            "import_time",
            f"{stage}: shipped package, import app vs boto3+pynamodb (CPU)",
            f"{app:.0f} / {base:.0f} ms = {ratio:.2f}x",
            f"< {TARGET_RATIO}x",
            ratio < TARGET_RATIO,
        ),
        Figure(
            "import_time",
            f"{stage}: shipped package without its bytecode",
            f"{uncompiled:.0f} ms = {uncompiled / base:.2f}x (bytecode saves {uncompiled - app:.0f} ms)",
        ),
    ]


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.import_time", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per import and stage (default 15)")
    parser.add_argument("--stages", default="dev,prod", help="stages of .chalice/config.json (default dev,prod)")
    parser.add_argument("--top", type=int, default=10, help="heaviest imports to list (default 10)")
    parser.add_argument("--importtime-runs", type=int, default=3, help="-X importtime runs per stage (default 3)")
    parser.add_argument("--function-runs", type=int, default=3, help="cold starts per function (default 3; 0: skip)")
    parser.add_argument(
        "--package-runs", type=int, default=9, help="cold imports from the synthesized zip (default 9; 0: skip)"
    )
    args = parser.parse_args(argv)
    print("== bench.import_time: cold-start import of app.py vs a bare `import boto3, pynamodb`")
    found: list[Figure] = []
    stages = [s for s in args.stages.split(",") if s]
    for stage in stages:
        found += measure_stage(stage, args.runs, args.top, args.importtime_runs)
    if args.package_runs > 0:
        for stage in stages:
            found += measure_package(stage, args.package_runs)
    if args.function_runs > 0:
        from local.bootstrap import MOTO_ENV
        from local.moto_server import MotoProcess

        moto = MotoProcess(env=MOTO_ENV)
        url = moto.start()
        try:
            memory = function_memory()
            for stage in stages:
                found += report_functions(stage, measure_functions(stage, url, args.function_runs), memory)
        finally:
            moto.stop()
    return found


def main() -> None:
    run(sys.argv[1:])


if __name__ == "__main__":
    main()
