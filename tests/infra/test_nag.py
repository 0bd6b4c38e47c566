"""cdk-nag (AwsSolutions) on the synthesized app: no finding left unacknowledged, and every
acknowledgment carries its reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infra.nag import MIN_REASON_LENGTH
from tests.infra.figures import record
from tests.infra.stage import ROOT


def _acknowledgments(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for logical, resource in template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            out.append((logical, rule["id"], rule.get("reason", "")))
    return out


def test_no_unacknowledged_finding_and_every_acknowledgment_has_a_reason(cloud_assembly: Path) -> None:
    # The synth would have failed on a finding; the report says what the plugin concluded.
    report = json.loads((cloud_assembly / "validation-report.json").read_text())
    violations = [v for p in report.get("pluginReports", []) for v in p.get("violations", [])]
    assert not violations, violations
    total: Counter[str] = Counter()
    for path in sorted(cloud_assembly.glob("FlowHub-*.template.json")):
        acks = _acknowledgments(json.loads(path.read_text()))
        short = [(logical, rule) for logical, rule, reason in acks if len(reason.strip()) < MIN_REASON_LENGTH]
        assert not short, f"{path.name}: acknowledgments without a reason: {short}"
        total.update(rule for _, rule, _ in acks if rule.startswith("AwsSolutions"))
    assert total, "no acknowledgments recorded: is the AwsSolutions pack still registered (infra/nag.py)?"
    record(
        "cdk-nag AwsSolutions",
        f"0 unacknowledged findings; {len(total)} acknowledged findings (rule[finding]), each with its reason",
    )


def test_the_checks_fail_the_synth_on_a_finding(tmp_path: Path) -> None:
    """The same registration the app uses (`add_checks`) stops a synth with a non-compliant resource."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    from infra.nag import add_checks

    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Canary"), "PlainQueue")  # no TLS enforcement, no DLQ: AwsSolutions-SQS3/SQS4
    add_checks(app)
    with pytest.raises(RuntimeError, match=r"ValidationFailed(.|\n)*AwsSolutions-SQS4"):
        app.synth()


def test_the_synth_of_a_deploy_passes_the_checks_too(tmp_path: Path) -> None:
    """`make deploy` synthesizes for a real account and region, which spells some resources
    differently (CDK's asset bucket gets literal names): the acknowledgments must still match."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        CDK_DEFAULT_ACCOUNT="123456789012",
        CDK_DEFAULT_REGION="eu-north-1",
        CDK_CONTEXT_JSON=json.dumps({"stages": "prod"}),
        CDK_OUTDIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "infra.app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-6000:]
    template = json.loads((tmp_path / "FlowHub-prod-Stateless.template.json").read_text())
    assert "cdk-hnb659fds-assets-123456789012-eu-north-1" in json.dumps(template)
