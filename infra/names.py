"""Names other tools find a stage's stacks by (no CDK import: the admin CLI uses them too)."""

from __future__ import annotations

APP = "flow-hub"


def stateful_stack(stage: str) -> str:
    return f"FlowHub-{stage}-Stateful"


def stateless_stack(stage: str) -> str:
    return f"FlowHub-{stage}-Stateless"
