"""`make deploy` without AWS credentials stops at once and says what it needs; after a deploy
it prints the URLs and the embed snippet."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from infra import deploy
from tests.infra.stage import ROOT


def _make_deploy(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        **extra,
    )
    return subprocess.run(
        ["make", "-s", "deploy", "STAGE=dev"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_without_credentials_says_exactly_what_it_needs(tmp_path: Path) -> None:
    result = _make_deploy(tmp_path)
    assert result.returncode != 0
    assert "deploy: no AWS credentials found." in result.stderr
    for needed in (
        "aws configure",
        "AWS_ACCESS_KEY_ID",
        "AWS_REGION",
        "cdk bootstrap aws://ACCOUNT_ID/REGION",
        "docs/deploy.md",
    ):
        assert needed in result.stderr, needed
    assert "cdk" not in result.stdout, "nothing was built or deployed"


def test_deploy_without_a_region_says_so(tmp_path: Path) -> None:
    result = _make_deploy(tmp_path, AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="example")
    assert result.returncode != 0
    assert "deploy: no AWS region configured." in result.stderr


def test_the_summary_prints_the_urls_and_the_embed_snippet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {
        "FlowHub-dev-Stateful": {
            "DashboardUrl": "https://d1.cloudfront.net/agent.html",
            "SiteUrl": "https://d1.cloudfront.net",
            "EmbedSnippet": (
                '<script src="https://d1.cloudfront.net/widget.js" data-widget-key="YOUR_WIDGET_KEY" async></script>'
            ),
        },
        "FlowHub-dev-Stateless": {
            "RestApiUrl": "https://r1.execute-api.eu-north-1.amazonaws.com/api",
            "WebSocketUrl": "wss://w1.execute-api.eu-north-1.amazonaws.com/api",
        },
    }
    path = tmp_path / "outputs-dev.json"
    path.write_text(json.dumps(outputs))
    monkeypatch.setattr(deploy, "outputs_file", lambda stage: path)
    assert deploy.main(["summary", "dev"]) == 0
    out = capsys.readouterr().out
    assert "https://d1.cloudfront.net/agent.html" in out
    assert "wss://w1.execute-api.eu-north-1.amazonaws.com/api" in out
    assert 'src="https://d1.cloudfront.net/widget.js"' in out
    assert "tools.admin --stage dev tenant create" in out
