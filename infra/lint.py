"""cfn-lint exceptions, each on the one resource it concerns and with its reason.

cfn-lint reads `Metadata.cfn-lint.config.ignore_checks` of a resource; the reason goes
beside it in `Metadata.cfn-lint-reasons`, where `tests/infra/test_templates.py` requires
one for every ignored check. Nothing is ignored globally (infra/.cfnlintrc.yaml).
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct

from infra.nag import MIN_REASON_LENGTH


def _resource(construct: IConstruct) -> CfnResource:
    if isinstance(construct, CfnResource):
        return construct
    child = construct.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    return child


def lint_exception(construct: IConstruct, check: str, reason: str) -> None:
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"{check}: an exception needs a reason, got {reason!r}")
    resource = _resource(construct)
    existing = resource.get_metadata("cfn-lint") or {"config": {"ignore_checks": []}}
    existing["config"]["ignore_checks"].append(check)
    resource.add_metadata("cfn-lint", existing)
    reasons = resource.get_metadata("cfn-lint-reasons") or {}
    reasons[check] = reason
    resource.add_metadata("cfn-lint-reasons", reasons)
