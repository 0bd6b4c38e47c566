"""Helpers of `make deploy`, `make destroy` and `make package`: `python -m infra.deploy COMMAND`.

check STAGE     stop with a clear message unless AWS credentials and a region are usable
summary STAGE   print the URLs and the embed snippet from the deploy's outputs file
package STAGE   print where the Lambda package of the last synth is, and its size
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from infra import names

ROOT = Path(__file__).resolve().parent.parent

CDK_OUT = ROOT / "build" / "cdk.out"
BOOTSTRAP_HINT = "cd infra && node_modules/.bin/cdk bootstrap aws://ACCOUNT_ID/REGION"


def outputs_file(stage: str) -> Path:
    return ROOT / "build" / f"outputs-{stage}.json"


def check(stage: str) -> int:
    """Fails fast, before anything is built, when nothing could be deployed."""
    if stage not in ("dev", "prod"):
        print(f"deploy: STAGE must be dev or prod, got {stage!r}", file=sys.stderr)
        return 2
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.session.Session()
    needs = (
        "make deploy needs, for the AWS account to deploy to:\n"
        "  1. credentials: `aws configure` (or `aws sso login` with AWS_PROFILE=...), or the variables\n"
        "     AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN);\n"
        "  2. a region: AWS_REGION=eu-north-1 (or `region` in the profile);\n"
        f"  3. once per account and region: {BOOTSTRAP_HINT}\n"
        "See docs/deploy.md."
    )
    if session.get_credentials() is None:
        print(f"deploy: no AWS credentials found.\n{needs}", file=sys.stderr)
        return 2
    if not session.region_name:
        print(f"deploy: no AWS region configured.\n{needs}", file=sys.stderr)
        return 2
    try:
        who = session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        print(f"deploy: the AWS credentials do not work ({exc}).\n{needs}", file=sys.stderr)
        return 2
    print(f"deploy: stage {stage} to account {who['Account']} in {session.region_name} as {who['Arn']}")
    return 0


def summary(stage: str) -> int:
    path = outputs_file(stage)
    if not path.exists():
        print(f"deploy: no outputs at {path}; did `cdk deploy` finish?", file=sys.stderr)
        return 1
    stacks: dict[str, dict[str, Any]] = json.loads(path.read_text())
    out = {**stacks.get(names.stateful_stack(stage), {}), **stacks.get(names.stateless_stack(stage), {})}
    rows = [
        ("Agent dashboard", out.get("DashboardUrl")),
        ("Demo page", out.get("SiteUrl")),
        ("REST API", out.get("RestApiUrl")),
        ("WebSocket", out.get("WebSocketUrl")),
        ("CloudWatch dashboard", out.get("DashboardName")),
        ("Alarm topic", out.get("AlarmTopicArn")),
    ]
    print(f"\nFlow Hub {stage} is deployed.")
    for label, value in rows:
        print(f"  {label + ':':22} {value}")
    print("\nEmbed the widget on a tenant's site (with the tenant's widget key):")
    print(f"  {out.get('EmbedSnippet')}")
    print(
        "\nFirst tenant and agent:\n"
        f"  .venv/bin/python -m tools.admin --stage {stage} tenant create acme --name 'Acme'\n"
        f"  .venv/bin/python -m tools.admin --stage {stage} agent invite acme ada@acme.example --name 'Ada'"
    )
    return 0


def package_path(stage: str) -> Path | None:
    """The Lambda package (`deployment.zip`) the last synth of the stage deploys, if there is one."""
    template_path = CDK_OUT / f"{names.stateless_stack(stage)}.template.json"
    if not template_path.exists():
        return None
    template = json.loads(template_path.read_text())
    keys = {
        r["Properties"]["CodeUri"]["Key"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assets = json.loads((CDK_OUT / f"{names.stateless_stack(stage)}.assets.json").read_text())["files"]
    for asset in assets.values():
        if any(d["objectKey"] in keys for d in asset["destinations"].values()):
            path: Path = CDK_OUT / str(asset["source"]["path"])
            return path
    return None


def package(stage: str) -> int:
    path = package_path(stage)
    if path is None:
        print(f"package: no Lambda package of {stage} in {CDK_OUT}; run `make synth` first", file=sys.stderr)
        return 1
    print(f"{stage} Lambda package: {path} ({path.stat().st_size / 1e6:.2f} MB zipped)")
    return 0


def main(argv: list[str]) -> int:
    commands = {"check": check, "summary": summary, "package": package}
    if len(argv) != 2 or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
