"""Data: one DynamoDB table per PynamoDB model family, derived from the models themselves.

The models (`infra.runtime.TABLES`) are the one definition of every key, index, projection
and TTL attribute; this module reads them through PynamoDB's public attribute and index
classes and builds the tables from them. `tests/infra/test_tables.py` checks the result
against the CreateTable request PynamoDB's own `create_table` sends.

Every table: on-demand billing, point-in-time recovery, server-side encryption with the
AWS managed key, TTL where the model has a `TTLAttribute`, a stream where the model's `Meta`
names a `stream_view_type` (the counters table: its stream pushes the counters). Protected stages (prod) add
deletion protection and keep the table when the stack is deleted.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from pynamodb.attributes import Attribute, TTLAttribute
from pynamodb.indexes import GlobalSecondaryIndex, Index, LocalSecondaryIndex
from pynamodb.models import Model

from infra.runtime import TABLE_ENV_VARS, TABLES
from infra.settings import StageSettings

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # "S" | "N" | "B"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition: Key
    sort: Key | None
    projection: str  # "ALL" | "KEYS_ONLY" | "INCLUDE"
    non_key_attributes: tuple[str, ...]
    local: bool = False  # a local secondary index: the table's partition key, its own sort key


@dataclass(frozen=True)
class TableSpec:
    kind: str
    partition: Key
    sort: Key | None
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None
    stream: str | None = None  # the stream view type ("NEW_AND_OLD_IMAGES", ...); None: no stream


def _keys(attributes: list[Attribute[object]], owner: str) -> tuple[Key, Key | None]:
    hashes = [Key(a.attr_name, a.attr_type) for a in attributes if a.is_hash_key]
    ranges = [Key(a.attr_name, a.attr_type) for a in attributes if a.is_range_key]
    if len(hashes) != 1 or len(ranges) > 1:
        raise ValueError(f"{owner}: expected one hash key and at most one range key")
    return hashes[0], (ranges[0] if ranges else None)


def _family(model: type[Model]) -> list[type[Model]]:
    """Every model class stored in `model`'s table: the topmost model class below `Model`
    and all its subclasses (a discriminated table keeps its indexes on several classes)."""
    root = [c for c in model.__mro__ if isinstance(c, type) and issubclass(c, Model) and c is not Model][-1]
    family, todo = [], [root]
    while todo:
        cls = todo.pop()
        family.append(cls)
        todo.extend(cls.__subclasses__())
    return family


def _index_spec(index: Index[Model]) -> IndexSpec:
    if not isinstance(index, GlobalSecondaryIndex | LocalSecondaryIndex):
        raise ValueError(f"{index.Meta.index_name}: only global and local secondary indexes are supported")
    attributes = [a for _, a in inspect.getmembers(type(index), lambda o: isinstance(o, Attribute))]
    partition, sort = _keys(attributes, f"index {index.Meta.index_name}")
    projection = index.Meta.projection
    return IndexSpec(
        name=index.Meta.index_name,
        partition=partition,
        sort=sort,
        projection=str(projection.projection_type),
        non_key_attributes=tuple(projection.non_key_attributes or ()),
        local=isinstance(index, LocalSecondaryIndex),
    )


def table_spec(kind: str, model: type[Model]) -> TableSpec:
    partition, sort = _keys(list(model.get_attributes().values()), model.__name__)
    indexes: dict[str, IndexSpec] = {}
    ttl: set[str] = set()
    for cls in _family(model):
        for _, index in inspect.getmembers(cls, lambda o: isinstance(o, Index)):
            spec = _index_spec(index)
            if indexes.setdefault(spec.name, spec) != spec:
                raise ValueError(f"{kind}: index {spec.name} is declared twice, differently")
        ttl.update(a.attr_name for a in cls.get_attributes().values() if isinstance(a, TTLAttribute))
    if len(ttl) > 1:
        raise ValueError(f"{kind}: a table has at most one TTL attribute, found {sorted(ttl)}")
    stream = getattr(model.Meta, "stream_view_type", None)
    return TableSpec(
        kind,
        partition,
        sort,
        tuple(indexes[n] for n in sorted(indexes)),
        next(iter(ttl), None),
        str(stream) if stream else None,
    )


def table_specs() -> list[TableSpec]:
    return [table_spec(kind, model) for kind, model in TABLES.items()]


def _attribute(key: Key | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type]) if key else None


class Data(Construct):
    """The hub's tables. `tables[kind]` is the table the runtime finds through `TABLE_ENV_VARS[kind]`."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {}
        self.specs = {spec.kind: spec for spec in table_specs()}
        for spec in self.specs.values():
            logical = "".join(part.capitalize() for part in spec.kind.split("_")) + "Table"
            table = dynamodb.Table(
                self,
                logical,
                table_name=stage.physical(spec.kind),
                partition_key=_attribute(spec.partition),
                sort_key=_attribute(spec.sort),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                time_to_live_attribute=spec.ttl_attribute,
                stream=dynamodb.StreamViewType[spec.stream] if spec.stream else None,
                deletion_protection=stage.protect_data,
                removal_policy=RemovalPolicy.RETAIN if stage.protect_data else RemovalPolicy.DESTROY,
            )
            for index in spec.indexes:
                if index.local:  # read consistently (messages by public number, AP-M2)
                    if index.partition != spec.partition or index.sort is None:
                        raise ValueError(f"{spec.kind}: local index {index.name} must share the partition key")
                    table.add_local_secondary_index(
                        index_name=index.name,
                        sort_key=_attribute(index.sort),  # type: ignore[arg-type]
                        projection_type=_PROJECTIONS[index.projection],
                        non_key_attributes=list(index.non_key_attributes) or None,
                    )
                    continue
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_attribute(index.partition),
                    sort_key=_attribute(index.sort),
                    projection_type=_PROJECTIONS[index.projection],
                    non_key_attributes=list(index.non_key_attributes) or None,
                )
            self.tables[spec.kind] = table
            CfnOutput(
                self, f"{logical}Name", value=table.table_name, description=TABLE_ENV_VARS[spec.kind]
            ).override_logical_id(f"{logical}Name")
