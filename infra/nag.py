"""cdk-nag: the AwsSolutions rules run on every synth, and each exception carries its reason.

cdk-nag 3 plugs into CDK's own validation: any unacknowledged finding fails the synth. An
acknowledgment is written next to the resource it concerns (`suppress(...)`), with the reason
in a sentence an auditor can check; the synth copies each one, reason included, into the
resource's `Metadata.cdk_nag` in the template, where `tests/infra/test_nag.py` counts them.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 40


def suppress(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledges finding `rule` (e.g. `AwsSolutions-S1`, `AwsSolutions-IAM5[Resource::*]`) on
    `construct` and everything below it, for `reason`."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"{rule}: a suppression needs a reason an auditor can check, got {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def add_checks(app: App) -> None:
    """Runs the AwsSolutions pack on the whole app at synth time."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
