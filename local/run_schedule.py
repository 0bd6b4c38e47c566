"""`python -m local.run_schedule <name> [--base-url URL]`: run one `@app.schedule` function
of a running local stack now, as EventBridge would, and print its report (JSON).

`--list` prints the schedules instead. Exit status: 0 when the function succeeded,
1 when it raised or timed out, 2 when the hub or the schedule was not found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any


def _call(method: str, url: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=900) as response:  # noqa: S310 - the local hub's http URL
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.run_schedule", description="Run one @app.schedule function of a running local stack now."
    )
    parser.add_argument("name", nargs="?", help="the schedule's name (the function name unless name= was given)")
    parser.add_argument("--base-url", default=os.environ.get("HUB_BASE_URL", "http://127.0.0.1:8787"))
    parser.add_argument("--list", action="store_true", help="list the schedules and exit")
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")
    try:
        if args.list or not args.name:
            status, body = _call("GET", f"{base}/_local/schedules")
        else:
            status, body = _call("POST", f"{base}/_local/schedules/{args.name}/run")
    except urllib.error.URLError as exc:
        print(f"no local hub at {base}: {exc.reason}", file=sys.stderr)
        return 2
    print(json.dumps(body, indent=2))
    if status == 404:
        return 2
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
