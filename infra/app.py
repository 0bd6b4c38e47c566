"""The CDK app: `cdk synth` / `cdk deploy` run this (see infra/cdk.json), or `python -m infra.app`.

Context `stages` picks the stages to build (default `dev,prod`; `make deploy STAGE=prod`
builds only prod). The AwsSolutions checks run on every synth; a finding without an
acknowledgment fails it.
"""

from __future__ import annotations

import os

from aws_cdk import App, Environment

from infra.nag import add_checks
from infra.runtime import ROOT
from infra.settings import STAGES
from infra.stacks import StatefulStack, StatelessStack, tag_stage


def build(app: App) -> list[str]:
    names = str(app.node.try_get_context("stages") or "dev,prod").split(",")
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise SystemExit(f"unknown stage(s) {unknown}; known: {sorted(STAGES)}")
    # Account and region come from the deploying credentials (the cdk CLI sets both). Without
    # an account (an offline synth) the stacks stay environment-agnostic, so `cdk synth` and
    # `python -m infra.app` produce the same templates.
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account and region else None
    for name in names:
        stage = STAGES[name]
        stateful = StatefulStack(app, stage, env=env)
        stateless = StatelessStack(app, stage, stateful, env=env)
        tag_stage(stateful, stage)
        tag_stage(stateless, stage)
    add_checks(app)
    return names


# Feature flags, here rather than in cdk.json so that every way of running the app agrees.
CONTEXT = {
    # Cross-stack references are CloudFormation exports the stateless stack imports; an export
    # in use cannot change, which protects the stateful stack from an accidental replacement.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/core:checkSecretUsage": True,
}


def main() -> None:
    # The cdk CLI runs the app in infra/ (cdk.json: `-P` keeps infra/ off sys.path, so `app`
    # is the Chalice app at the root) and passes paths relative to it.
    outdir = os.environ.get("CDK_OUTDIR")
    app = App(outdir=os.path.abspath(outdir) if outdir else str(ROOT / "build" / "cdk.out"), context=CONTEXT)
    # Chalice's packager asks botocore for the region only to spell service principals
    # (lambda.amazonaws.com); the deploy itself runs in the credentials' region.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION") or "us-east-1")
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
