"""Reading synthesized templates as CloudFormation would: intrinsic functions resolved against
the physical ids of a rehearsal, and IAM policies evaluated for a call.

Hand-written because no library evaluates a template's intrinsics offline with chosen
physical ids (cfn-lint validates them, it does not resolve them). It covers the functions
the hub's templates use and fails loudly on any other.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
    "AWS::NoValue": None,
}


class Unresolvable(Exception):
    pass


@dataclass
class Resolver:
    """Resolves intrinsics of one template. `refs` and `attrs` hold the physical ids chosen
    for the rehearsal; `exports` the values other stacks export; `default_ref` answers a
    Ref nobody chose (e.g. a table's Ref is its TableName property)."""

    template: dict[str, Any]
    refs: dict[str, Any] = field(default_factory=dict)
    attrs: dict[tuple[str, str], Any] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            fn = self._functions().get(key)
            if fn is not None:
                return fn(arg)
        return {k: self.resolve(v) for k, v in value.items()}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Join": lambda a: str(a[0]).join(str(self.resolve(x)) for x in self.resolve(a[1])),
            "Fn::Sub": self._sub,
            "Fn::ImportValue": self._import,
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
        }

    def _ref(self, name: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        resource = self.template.get("Resources", {}).get(name)
        if resource is None:
            raise Unresolvable(f"Ref {name}: no such resource or parameter")
        props = resource.get("Properties", {})
        by_type = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::ApiGatewayV2::Stage": "StageName",
        }
        prop = by_type.get(resource["Type"])
        if prop and prop in props:
            return self.resolve(props[prop])
        return f"{name}-physical-id"

    def _get_att(self, arg: Any) -> Any:
        name, attr = arg if isinstance(arg, list) else arg.split(".", 1)
        if (name, attr) in self.attrs:
            return self.attrs[(name, attr)]
        resource = self.template["Resources"].get(name)
        if resource is None:
            raise Unresolvable(f"GetAtt {name}.{attr}: no such resource")
        kind, ref = resource["Type"], self._ref(name)
        arns = {
            ("AWS::DynamoDB::Table", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{ref}",
            ("AWS::Logs::LogGroup", "Arn"): f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{ref}:*",
            ("AWS::IAM::Role", "Arn"): f"arn:aws:iam::{ACCOUNT}:role/{ref}",
            ("AWS::SQS::Queue", "Arn"): f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
        }
        if (kind, attr) in arns:
            return arns[(kind, attr)]
        return f"{name}.{attr}"

    def _sub(self, arg: Any) -> str:
        text, local = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in local:
                return str(local[key])
            if "." in key and not key.startswith("AWS::"):
                return str(self._get_att(key))
            return str(self._ref(key))

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def _import(self, name: Any) -> Any:
        name = self.resolve(name)
        if name not in self.exports:
            raise Unresolvable(f"ImportValue {name}: no stack exports it")
        return self.exports[name]


def exports_of(template: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
    """What a stack exports, resolved with its own resolver."""
    out = {}
    for output in template.get("Outputs", {}).values():
        export = output.get("Export")
        if export:
            out[resolver.resolve(export["Name"])] = resolver.resolve(output["Value"])
    return out


# ---------------------------------------------------------------------------- IAM
@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in self.resources
        )


def role_statements(template: dict[str, Any], resolver: Resolver, role: str) -> list[Statement]:
    """Every Allow statement attached to `role`: inline policies, and AWS::IAM::Policy resources
    that list it."""
    documents: list[dict[str, Any]] = []
    resources = template["Resources"]
    documents += [p["PolicyDocument"] for p in resources[role].get("Properties", {}).get("Policies", [])]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"].get("Roles", []):
            documents.append(resource["Properties"]["PolicyDocument"])
    out = []
    for document in documents:
        for s in resolver.resolve(document)["Statement"]:
            if s["Effect"] != "Allow":
                raise AssertionError(f"unexpected {s['Effect']} statement on {role}: {s}")
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            targets = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
            out.append(Statement(tuple(actions), tuple(str(t) for t in targets)))
    return out


def allowed(statements: Iterable[Statement], action: str, resource: str) -> bool:
    return any(s.allows(action, resource) for s in statements)
