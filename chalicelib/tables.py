"""Table definitions derived from the models: local creation and CloudFormation resources.

Both come from `chalicelib.models.TABLES`, so the schema is written once.
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.models import TABLES, bind_tables

TTL_ATTRIBUTE = "expires_at"


def _ttl_attribute(model: type[Model]) -> str | None:
    for attr in model.get_attributes().values():
        if attr.attr_name == TTL_ATTRIBUTE:
            return TTL_ATTRIBUTE
    return None


def ensure_tables() -> list[str]:
    """Create every missing table (idempotent); returns the names created."""
    bind_tables()
    created = []
    for model in TABLES.values():
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            ttl = _ttl_attribute(model)
            if ttl:
                model._get_connection().connection.update_time_to_live(model.Meta.table_name, ttl)
            created.append(str(model.Meta.table_name))
    return created


def cloudformation_resources(names: dict[str, Any]) -> dict[str, Any]:
    """`AWS::DynamoDB::Table` resources for every table, keyed by logical id.

    `names` maps a table kind to the TableName value (a string or an intrinsic).
    """
    resources: dict[str, Any] = {}
    for kind, model in TABLES.items():
        schema = model._get_schema()
        props: dict[str, Any] = {
            "TableName": names[kind],
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": schema["attribute_definitions"],
            "KeySchema": schema["key_schema"],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        }
        gsis = [
            {
                "IndexName": g["index_name"],
                "KeySchema": g["key_schema"],
                "Projection": g["projection"],
            }
            for g in schema.get("global_secondary_indexes", [])
        ]
        if gsis:
            props["GlobalSecondaryIndexes"] = gsis
        ttl = _ttl_attribute(model)
        if ttl:
            props["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
        logical = "".join(part.capitalize() for part in kind.split("_")) + "Table"
        resources[logical] = {"Type": "AWS::DynamoDB::Table", "Properties": props}
    return resources
