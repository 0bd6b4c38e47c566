"""The fence around local/moto_patches.py: it fails loudly when moto changes under the
patches (another version, another signature, the code they work around gone), and shows the
patched behaviour still holds: transactions all or nothing, queries by partition, and
Cognito enforcing admin-only sign-up and the client's writable attributes.

When it fails after a moto upgrade: re-read the functions named here in the new moto (the
upstream fixes are described in docs/local-stack.md), adapt or drop the patch, then set
`MOTO_VERSION`."""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend
from moto.core import responses as core_responses
from moto.core.base_backend import BackendDict
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.tokens import ExpressionTokenizer
from moto.dynamodb.parsing.validators import Validator

from local import moto_patches
from local.moto_patches import DYNAMODB_JSON_OPERATIONS, MOTO_VERSION, install

ACCOUNT, REGION = "123456789012", "us-east-1"


def _source(function: Callable[..., Any]) -> str:
    """moto's own code of a (possibly patched) function, whitespace collapsed."""
    return " ".join(inspect.getsource(inspect.unwrap(function)).split())


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    install()


# ------------------------------------------------------------------ what the patches rely on
def test_moto_is_the_version_the_patches_were_checked_against() -> None:
    assert version("moto") == MOTO_VERSION, (
        f"moto is {version('moto')}, local/moto_patches.py was checked against {MOTO_VERSION}: "
        "re-check each patch against the new moto source, then update MOTO_VERSION"
    )


@pytest.mark.parametrize(
    ("function", "parameters"),
    [
        (DynamoDBBackend.transact_write_items, ["self", "transact_items"]),
        (DynamoDBBackend.get_item, ["self", "table_name", "keys", "projection_expressions"]),
        (
            DynamoDBBackend.delete_item,
            [
                "self",
                "table_name",
                "key",
                "expression_attribute_names",
                "expression_attribute_values",
                "condition_expression",
                "return_values_on_condition_check_failure",
            ],
        ),
        (
            DynamoDBBackend.put_item,
            [
                "self",
                "table_name",
                "item_attrs",
                "expected",
                "condition_expression",
                "expression_attribute_names",
                "expression_attribute_values",
                "overwrite",
                "return_values_on_condition_check_failure",
            ],
        ),
        # The patch reads index_name as the 7th positional argument after hash_key.
        (
            Table.query,
            [
                "self",
                "hash_key",
                "range_comparison",
                "range_objs",
                "limit",
                "exclusive_start_key",
                "scan_index_forward",
                "projection_expressions",
                "index_name",
                "consistent_read",
                "filter_expression",
                "hash_key_conditions",
                "range_key_conditions",
                "filter_kwargs",
            ],
        ),
        (Table.all_items, ["self"]),
        (CognitoIdpBackend.sign_up, ["self", "client_id", "username", "password", "attributes"]),
        (CognitoIdpBackend.update_user_attributes, ["self", "access_token", "attributes"]),
        (NotAuthorizedError.__init__, ["self", "message"]),
        (dynamodb_responses.DynamoHandler.serialized, ["self", "action_result"]),
        (BackendDict._create_account_specific_backend, ["self", "account_id"]),
        (UpdateExpressionParser.make, ["expression_str"]),
        (ConditionExpressionParser.parse, ["self"]),
        (ConditionExpressionParser._parse_paths, ["self", "nodes"]),
        (ConditionExpressionParser._make_op_condition, ["self", "node"]),
        (ConditionExpressionParser._lookup_expression_attribute_value, ["self", "name"]),
        (ConditionExpressionParser._lookup_expression_attribute_name, ["self", "name"]),
        (core_responses.method_names_from_class, ["clazz"]),  # type: ignore[attr-defined]
        # 11: the backend's update_item is wrapped (the table name first); the handler takes no argument;
        #    the validator copies the tree it is given; the snapshot stands in for an item's to_json.
        (
            DynamoDBBackend.update_item,
            [
                "self",
                "table_name",
                "key",
                "update_expression",
                "expression_attribute_names",
                "expression_attribute_values",
                "attribute_updates",
                "expected",
                "condition_expression",
                "return_values_on_condition_check_failure",
            ],
        ),
        (dynamodb_responses.DynamoHandler.update_item, ["self"]),
        (
            Validator.__init__,
            ["self", "expression", "expression_attribute_names", "expression_attribute_values", "item", "table"],
        ),
        (Item.to_json, ["self", "root_attr_name"]),
    ],
    ids=lambda value: getattr(value, "__qualname__", "") if callable(value) else "",
)
def test_the_functions_the_patches_wrap_keep_their_signatures(
    function: Callable[..., Any], parameters: list[str]
) -> None:
    assert list(inspect.signature(inspect.unwrap(function)).parameters) == parameters


def test_the_moto_code_the_patches_work_around_is_still_there() -> None:
    # 1: a transaction deep-copies every table it touches, through the module's `copy`
    #    (which the patch replaces), and restores those copies on failure.
    transact = _source(DynamoDBBackend.transact_write_items)
    assert "original_table_state[table_name] = copy.deepcopy( self.tables[table_name] )" in transact
    assert "self.tables[table_name] = original_table_state[table_name]" in transact
    models_copy = getattr(dynamodb_models, "copy")  # noqa: B009 - patch 11's stand-in, around patch 1's
    assert type(models_copy).__name__ == "_NoStreamImage" and type(models_copy._inner).__name__ == "_CopyButNotTables"
    # 2: a base-table query walks `self.all_items()` (which the patch narrows to a partition).
    assert "for item in self.all_items() if isinstance(item, Item) and item.hash_key == hash_key" in _source(
        Table.query
    )
    # 3, 4: moto's sign-up and attribute updates check neither the pool's admin-only
    #    setting nor the client's WriteAttributes (so the patch has to).
    for function in (CognitoIdpBackend.sign_up, CognitoIdpBackend.update_user_attributes):
        code = _source(function)
        assert "AllowAdminCreateUserOnly" not in code and "WriteAttributes" not in code
    # 5: the dispatcher asks moto's module list for every request's host.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    assert "if host in backends.list_of_moto_modules():" in _source(DomainDispatcherApplication.get_backend_for_host)
    # 6: every action call looks the class's methods up again.
    assert "method_names = method_names_from_class(self.__class__)" in _source(core_responses.BaseResponse.call_action)
    # 7: results and errors reach the client through `serialized`, DynamoDB's through the
    #    serializer of the JSON protocol, whose key picker the patch does without.
    assert "status, headers, body = self.serialized(response)" in _source(core_responses.BaseResponse.call_action)
    assert "self.serialized(ActionResult(e))" in _source(core_responses.BaseResponse.call_action)
    assert dynamodb_responses.DynamoHandler.RESPONSE_KEY_PATH_TO_TRANSFORMER == {}
    # 8: the backend list is scanned on every lookup, and reset empties the dicts with the list.
    create = _source(BackendDict._create_account_specific_backend)
    assert "if account_id not in list(self.keys()):" in create and "if self not in BackendDict._instances:" in create
    reset = _source(BackendDict.reset)
    assert "backend.clear()" in reset and "BackendDict._instances.clear()" in reset
    # 9: moto's validator works on a deep copy of the parsed tree.
    assert "self.node_to_validate = deepcopy(expression)" in _source(Validator.__init__)
    # 11: the validator deep-copies the tree through the module's `deepcopy` (the patch's), the
    #    nodes hold `type`, `children` and `parent` only and are copied by their state; the handler
    #    deep-copies the stored item through its module's `copy` only to read its to_json; the
    #    backend's copy (through its module's `copy`) is read by the stream alone.
    from moto.dynamodb.parsing import ast_nodes, validators

    assert getattr(validators, "deepcopy") is moto_patches._deepcopy  # noqa: B009
    assert " ".join(inspect.getsource(validators).split()).count("deepcopy(") == 2  # the tree's, list_append's
    node_class = ast_nodes.Node  # type: ignore[attr-defined]
    assert set(re.findall(r"self\.(\w+) =", _source(node_class.__init__))) == {"type", "children", "parent"}
    nodes = [c for c in vars(ast_nodes).values() if isinstance(c, type) and issubclass(c, node_class)]
    assert len(nodes) > 20 and all(moto_patches._copied_by_state(c) for c in nodes)
    assert {"type", "children", "parent"} == moto_patches._NODE_ATTRIBUTES
    handler = _source(dynamodb_responses.DynamoHandler.update_item)
    assert "existing_item = copy.deepcopy(self.dynamodb_backend.get_item(name, key))" in handler
    assert 'if existing_item: existing_attributes = existing_item.to_json()["Attributes"]' in handler
    assert handler.count("existing_item") == 3
    responses_module = " ".join(inspect.getsource(dynamodb_responses).split())
    assert responses_module.count("copy.") == 1 and "from copy import" not in responses_module  # that one use
    assert type(getattr(dynamodb_responses, "copy")).__name__ == "_CopyItemsAsJson"  # noqa: B009
    update = _source(DynamoDBBackend.update_item)
    assert "orig_item = copy.deepcopy(item)" in update and update.count("orig_item") == 2
    assert "if table.stream_shard is not None: table.stream_shard.add(orig_item, item)" in update
    assert "table = self.get_table(table_name)" in update  # by name first: the table the patch looks at
    assert "# Find table by name if table := self.tables.get(table_name): return table" in _source(
        DynamoDBBackend.get_table
    )
    models_module = " ".join(inspect.getsource(dynamodb_models).split())
    assert models_module.count("copy.") == 2  # update_item's item, transact_write_items' tables
    # 10: every parse lexes and parses the text again; names and values are only looked up
    #    where `_parse_paths` makes its leaves, and parse makes its ops of the whole tree once.
    parse = _source(ConditionExpressionParser.parse)
    assert "nodes = self._lex_condition_expression() nodes = self._parse_paths(nodes)" in parse
    assert "op = self._make_op_condition(node) return op" in parse
    assert parse.count("self._parse_paths(") == 1 and parse.count("self._make_op_condition(") == 1
    element = _source(ConditionExpressionParser._parse_path_element)
    assert "value=self._lookup_expression_attribute_value(name)," in element
    assert "value=self._lookup_expression_attribute_name(name)," in element
    from moto.dynamodb import comparisons

    module = " ".join(inspect.getsource(comparisons).split())
    for looked_up in ("self.expression_attribute_values", "self.expression_attribute_names"):
        assert module.count(looked_up) == 2, looked_up  # set in __init__, read by its lookup only


def test_the_module_list_and_action_names_are_moto_s_own() -> None:
    from moto import backends
    from moto.core.utils import method_names_from_class

    assert list(backends.list_of_moto_modules()) == list(inspect.unwrap(backends.list_of_moto_modules)())
    assert "dynamodb" in backends.list_of_moto_modules() and "cognitoidp" in backends.list_of_moto_modules()
    handler = dynamodb_responses.DynamoHandler
    names = core_responses.method_names_from_class(handler)  # type: ignore[attr-defined]
    assert names == method_names_from_class(handler) and "transact_write_items" in names
    assert core_responses.method_names_from_class(handler) is names  # type: ignore[attr-defined] # looked up once


# ------------------------------------------------------------------ DynamoDB behaviour
@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        for name in ("a", "b"):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client


def items(client: Any, table: str) -> dict[str, str]:
    out = client.scan(TableName=table)["Items"]
    return {i["k"]["S"]: i.get("v", {}).get("S", "") for i in out}


def test_a_failed_condition_leaves_every_table_as_it_was_without_copying_it(ddb: Any) -> None:
    ddb.put_item(TableName="a", Item={"k": {"S": "x"}, "v": {"S": "old"}})
    table_a = dynamodb_backends[ACCOUNT][REGION].tables["a"]
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as failed:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "a", "Item": {"k": {"S": "x"}, "v": {"S": "new"}}}},
                {"Put": {"TableName": "b", "Item": {"k": {"S": "y"}, "v": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": "a",
                        "Key": {"k": {"S": "z"}},
                        "UpdateExpression": "SET v = :v",
                        "ConditionExpression": "attribute_exists(k)",
                        "ExpressionAttributeValues": {":v": {"S": "z"}},
                    }
                },
            ]
        )
    reasons = [r["Code"] for r in failed.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert items(ddb, "a") == {"x": "old"} and items(ddb, "b") == {}
    # Restored item by item: the table is the same object (moto alone swaps in a deep copy).
    assert dynamodb_backends[ACCOUNT][REGION].tables["a"] is table_a


def test_a_passing_transaction_applies_every_write(ddb: Any) -> None:
    ddb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": "a",
                    "Item": {"k": {"S": "x"}, "v": {"S": "1"}},
                    "ConditionExpression": "attribute_not_exists(k)",
                }
            },
            {"Put": {"TableName": "b", "Item": {"k": {"S": "y"}, "v": {"S": "2"}}}},
        ]
    )
    assert items(ddb, "a") == {"x": "1"} and items(ddb, "b") == {"y": "2"}


def test_a_base_table_query_reads_its_partition_only_and_in_order(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ddb.create_table(
        TableName="p",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk in ("a", "b"):
        for sk in ("3", "1", "2"):
            ddb.put_item(TableName="p", Item={"pk": {"S": pk}, "sk": {"S": sk}, "g": {"S": "all"}})
    whole_table_reads = 0
    all_items = Table.all_items

    def counted(self: Table) -> Any:
        nonlocal whole_table_reads
        whole_table_reads += 1
        return all_items(self)

    monkeypatch.setattr(Table, "all_items", counted)
    out = ddb.query(
        TableName="p",
        KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": {"S": "b"}, ":s": {"S": "2"}},
    )["Items"]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in out] == [("b", "2"), ("b", "3")]
    empty = ddb.query(TableName="p", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "zz"}})
    assert empty["Items"] == []
    assert whole_table_reads == 0
    # Index queries are moto's own: they still walk the table (and the counter sees it).
    by_index = ddb.query(
        TableName="p", IndexName="by_g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "all"}}
    )["Items"]
    assert len(by_index) == 6 and whole_table_reads == 1


@dataclass
class Twins:
    """Every DynamoDB answer written twice, by the patch and by moto's own serializer."""

    bodies: list[tuple[str, Any, Any]] = field(default_factory=list)  # (operation, the patch's, moto's)
    dumped: dict[str, list[bool]] = field(default_factory=dict)  # operation -> dumped by the patch?


@pytest.fixture
def twins(monkeypatch: pytest.MonkeyPatch) -> Twins:
    twins = Twins()
    patched = dynamodb_responses.DynamoHandler.serialized
    moto_own = inspect.unwrap(patched)
    dump = moto_patches._dynamodb_json

    def both(self: Any, action_result: Any) -> Any:
        mine = patched(self, action_result)
        status, headers, body = mine  # the headers are added to after: compare them as they are now
        twins.bodies.append((self._get_action(), (status, dict(headers), body), moto_own(self, action_result)))
        return mine

    def recorded(operation: str, result: Any) -> str | None:
        body = dump(operation, result)
        twins.dumped.setdefault(operation, []).append(body is not None)
        return body

    monkeypatch.setattr(dynamodb_responses.DynamoHandler, "serialized", both)
    monkeypatch.setattr(moto_patches, "_dynamodb_json", recorded)
    return twins


EVERY_TYPE = {
    "k": {"S": "x"},
    "s": {"S": 'h\u00e9llo "w"\n\u2603 \U0001f600'},
    "empty": {"S": ""},
    "n": {"N": "-12.50"},
    "b": {"B": b"\x00\xffbinary"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "m": {"M": {"nested": {"L": [{"N": "1"}, {"NULL": True}, {"BOOL": False}, {"M": {}}, {"L": []}]}}},
    "t": {"BOOL": True},
    "nul": {"NULL": True},
}


def test_dynamodb_answers_are_the_bytes_moto_s_serializer_writes(ddb: Any, twins: Twins) -> None:
    def call(operation: str, **params: Any) -> Any:
        return getattr(ddb, operation)(**params)

    call("put_item", TableName="a", Item=EVERY_TYPE, ReturnConsumedCapacity="TOTAL")
    call("put_item", TableName="a", Item={**EVERY_TYPE, "n": {"N": "7"}}, ReturnValues="ALL_OLD")
    for k in ("y", "z", "w"):
        call("put_item", TableName="b", Item={"k": {"S": k}, "v": {"S": k * 3}}, ReturnConsumedCapacity="INDEXES")
    got = call("get_item", TableName="a", Key={"k": {"S": "x"}}, ConsistentRead=True)
    call("get_item", TableName="a", Key={"k": {"S": "missing"}})
    call(
        "get_item",
        TableName="a",
        Key={"k": {"S": "x"}},
        ProjectionExpression="m.nested, b, #s",
        ExpressionAttributeNames={"#s": "s"},
    )
    for values in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "ALL_OLD", "NONE"):
        call(
            "update_item",
            TableName="a",
            Key={"k": {"S": "x"}},
            UpdateExpression="SET n = n + :one, added = :b ADD ns :more",
            ExpressionAttributeValues={":one": {"N": "1"}, ":b": {"B": b"\x07"}, ":more": {"NS": ["9"]}},
            ReturnValues=values,
            ReturnConsumedCapacity="TOTAL",
        )
    call("query", TableName="a", KeyConditionExpression="k = :k", ExpressionAttributeValues={":k": {"S": "x"}})
    call("query", TableName="a", KeyConditionExpression="k = :k", ExpressionAttributeValues={":k": {"S": "none"}})
    call(
        "query",
        TableName="a",
        KeyConditionExpression="k = :k",
        ExpressionAttributeValues={":k": {"S": "x"}},
        Select="COUNT",
    )
    call("scan", TableName="b", Limit=2, ReturnConsumedCapacity="TOTAL")
    call("batch_get_item", RequestItems={"a": {"Keys": [{"k": {"S": "x"}}]}, "b": {"Keys": [{"k": {"S": "y"}}]}})
    call(
        "batch_write_item",
        RequestItems={
            "b": [{"PutRequest": {"Item": {"k": {"S": "q"}}}}, {"DeleteRequest": {"Key": {"k": {"S": "w"}}}}]
        },
    )
    call(
        "transact_get_items",
        TransactItems=[
            {"Get": {"TableName": "a", "Key": {"k": {"S": "x"}}}},
            {"Get": {"TableName": "b", "Key": {"k": {"S": "nope"}}}},
        ],
    )
    call(
        "transact_write_items",
        TransactItems=[
            {"Put": {"TableName": "b", "Item": {"k": {"S": "t"}}, "ConditionExpression": "attribute_not_exists(k)"}},
            {
                "Update": {
                    "TableName": "a",
                    "Key": {"k": {"S": "x"}},
                    "UpdateExpression": "SET s = :s",
                    "ExpressionAttributeValues": {":s": {"S": "t"}},
                }
            },
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    call("delete_item", TableName="b", Key={"k": {"S": "y"}}, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL")
    call("describe_table", TableName="a")
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        call(
            "put_item",
            TableName="b",
            Item={"k": {"S": "z"}},
            ConditionExpression="attribute_not_exists(k)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        call(
            "transact_write_items",
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": "b",
                        "Key": {"k": {"S": "zz"}},
                        "ConditionExpression": "attribute_exists(k)",
                    }
                }
            ],
        )

    assert got["Item"]["b"]["B"] == b"\x00\xffbinary" and got["Item"]["bs"]["BS"] == [b"\x01", b"\x02"]
    assert got["Item"]["s"] == EVERY_TYPE["s"] and got["Item"]["m"] == EVERY_TYPE["m"]
    for operation, mine, moto_own in twins.bodies:
        assert mine == moto_own, operation
    # Every data-plane answer was the patch's; DescribeTable and the errors were moto's.
    assert {op: all(dumped) for op, dumped in twins.dumped.items()} == {
        **dict.fromkeys(DYNAMODB_JSON_OPERATIONS, True),
        "DescribeTable": False,
    }
    assert {op for op, *_ in twins.bodies} == DYNAMODB_JSON_OPERATIONS | {"DescribeTable"}


def test_dynamodb_answers_the_patch_does_not_dump_go_to_moto_s_serializer(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dumped: list[tuple[str, str | None]] = []
    dump = moto_patches._dynamodb_json

    def recorded(operation: str, result: Any) -> str | None:
        body = dump(operation, result)
        dumped.append((operation, body))
        return body

    monkeypatch.setattr(moto_patches, "_dynamodb_json", recorded)
    ddb.put_item(TableName="a", Item={"k": {"S": "x"}})
    ddb.describe_table(TableName="a")
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as failed:
        ddb.put_item(TableName="a", Item={"k": {"S": "x"}}, ConditionExpression="attribute_not_exists(k)")
    assert failed.value.response["Error"]["Message"] == "The conditional request failed"
    assert [(op, body is not None) for op, body in dumped] == [
        ("PutItem", True),
        ("DescribeTable", False),
    ]  # errors: never
    # Not plain JSON data: moto's serializer writes it.
    assert dump("GetItem", {"Item": {"k": {"S": "x"}, "gone": None}}) is None
    assert dump("GetItem", {"Item": {"k": {"S": object()}}}) is None
    assert dump("GetItem", {"Item": {}, "NotInTheShape": 1}) is None
    assert dump("Query", {"Count": 0, "ScannedCount": 0, "Items": [], "ConsumedCapacity": None}) == (
        '{"Items": [], "Count": 0, "ScannedCount": 0}'
    )


def test_an_account_s_backend_is_found_without_scanning_and_still_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        client.create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        assert any(b is dynamodb_backends for b in BackendDict._instances)  # type: ignore[misc]
        compared = 0
        equal = BackendDict.__eq__

        def counted(self: Any, other: Any) -> bool:
            nonlocal compared
            compared += 1
            return equal(self, other)

        monkeypatch.setattr(BackendDict, "__eq__", counted)
        assert "kept" in dynamodb_backends[ACCOUNT][REGION].tables
        assert client.list_tables()["TableNames"] == ["kept"]
        assert compared == 0
        monkeypatch.undo()
    with mock_aws():  # moto's reset still reaches the DynamoDB backend
        client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        assert client.list_tables()["TableNames"] == []


def test_an_update_expression_is_parsed_once_and_applied_each_time(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    parses = 0
    make_list = ExpressionTokenizer.make_list

    def counted(expression: str) -> Any:
        nonlocal parses
        parses += 1
        return make_list(expression)

    monkeypatch.setattr(ExpressionTokenizer, "make_list", staticmethod(counted))
    update = {
        "TableName": "a",
        "Key": {"k": {"S": "x"}},
        "UpdateExpression": "SET #v = if_not_exists(#v, :zero) + :one, seen = list_append(if_not_exists(seen, :e), :l)",
        "ExpressionAttributeNames": {"#v": "n"},
        "ReturnValues": "ALL_NEW",
    }
    first = ddb.update_item(
        **update,
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}, ":e": {"L": []}, ":l": {"L": [{"S": "a"}]}},
    )
    assert parses == 1  # tokenized once where moto tokenizes it in the handler and again in the backend
    second = ddb.update_item(
        **update,
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "5"}, ":e": {"L": []}, ":l": {"L": [{"S": "b"}]}},
    )
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    **{k: v for k, v in update.items() if k != "ReturnValues"},
                    "ExpressionAttributeValues": {
                        ":zero": {"N": "0"},
                        ":one": {"N": "10"},
                        ":e": {"L": []},
                        ":l": {"L": []},
                    },
                }
            }
        ]
    )
    assert parses == 1
    assert first["Attributes"] == {"k": {"S": "x"}, "n": {"N": "1"}, "seen": {"L": [{"S": "a"}]}}
    assert second["Attributes"] == {"k": {"S": "x"}, "n": {"N": "6"}, "seen": {"L": [{"S": "a"}, {"S": "b"}]}}
    assert ddb.get_item(TableName="a", Key={"k": {"S": "x"}})["Item"]["n"] == {"N": "16"}
    for _ in range(2):  # a bad expression is not kept: moto's own error, each time
        with pytest.raises(ddb.exceptions.ClientError, match="Invalid UpdateExpression: Syntax error"):
            ddb.update_item(TableName="a", Key={"k": {"S": "x"}}, UpdateExpression="SET = 1")


@pytest.fixture
def lexed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The condition expressions moto lexes (the first step of every parse of its own)."""
    texts: list[str] = []
    lex = ConditionExpressionParser._lex_condition_expression

    def counted(self: ConditionExpressionParser) -> Any:
        texts.append(str(self.condition_expression))
        return lex(self)

    monkeypatch.setattr(ConditionExpressionParser, "_lex_condition_expression", counted)
    return texts


def test_a_condition_expression_is_parsed_once_and_applied_each_time(ddb: Any, lexed: list[str]) -> None:
    new = "attribute_not_exists(k) AND attribute_not_exists(v)"  # texts no other test parses (kept per process)
    ddb.put_item(TableName="a", Item={"k": {"S": "x"}, "v": {"S": "1"}}, ConditionExpression=new)
    assert lexed == [new]  # parsed once where moto parses it in the handler and again in the backend
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(TableName="a", Item={"k": {"S": "x"}, "v": {"S": "2"}}, ConditionExpression=new)
    ddb.put_item(TableName="a", Item={"k": {"S": "y"}, "v": {"S": "1"}, "w": {"S": "1"}}, ConditionExpression=new)

    # One text, other names and values: each request's own are the ones compared.
    seq = "#f = :prev"

    def step(key: str, attribute: str, prev: str, new_value: str) -> None:
        ddb.update_item(
            TableName="a",
            Key={"k": {"S": key}},
            UpdateExpression="SET #f = :next",
            ConditionExpression=seq,
            ExpressionAttributeNames={"#f": attribute},
            ExpressionAttributeValues={":prev": {"S": prev}, ":next": {"S": new_value}},
        )

    step("x", "v", "1", "2")
    step("x", "v", "2", "3")
    step("y", "w", "1", "5")
    for key, attribute, stale in (("x", "v", "2"), ("y", "w", "1"), ("y", "v", "5")):
        with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
            step(key, attribute, stale, "9")
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "b", "Item": {"k": {"S": "t"}}, "ConditionExpression": new}},
            {
                "Update": {
                    "TableName": "a",
                    "Key": {"k": {"S": "y"}},
                    "UpdateExpression": "SET #f = :next",
                    "ConditionExpression": seq,
                    "ExpressionAttributeNames": {"#f": "v"},
                    "ExpressionAttributeValues": {":prev": {"S": "1"}, ":next": {"S": "4"}},
                }
            },
        ]
    )
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as failed:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "b", "Item": {"k": {"S": "u"}}, "ConditionExpression": new}},
                {
                    "ConditionCheck": {
                        "TableName": "a",
                        "Key": {"k": {"S": "x"}},
                        "ConditionExpression": seq,
                        "ExpressionAttributeNames": {"#f": "v"},
                        "ExpressionAttributeValues": {":prev": {"S": "2"}},
                    }
                },
            ]
        )
    assert [r["Code"] for r in failed.value.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert sorted(lexed) == sorted([new, seq])
    assert items(ddb, "a") == {"x": "3", "y": "4"} and items(ddb, "b") == {"t": ""}
    assert ddb.get_item(TableName="a", Key={"k": {"S": "y"}})["Item"]["w"] == {"S": "5"}


def _op_tree(value: Any) -> Any:
    """What a parse made, as plain data: each operator and operand with its attributes."""
    if isinstance(value, list | tuple):
        return [_op_tree(v) for v in value]
    if hasattr(value, "__dict__"):
        return (type(value).__name__, {k: _op_tree(v) for k, v in vars(value).items()})
    return value


CONDITIONS = [
    "attribute_not_exists(pk)",
    "last_seq = :prev",
    "#a = :v AND attribute_exists(#b.c[0].d)",
    "a BETWEEN :lo AND :hi",
    "x IN (:a, :b, :v)",
    "NOT (a = :v) OR size(#l) > :n",
    "begins_with(#a, :v) and contains(tags, :b)",
    "attribute_type(x, :t)",
    "(a = :a AND b = :b) OR c <> :v",
    "a.b[1].#a >= :n",
    ":v = :a",
    "x = y",
    # invalid whatever the names and values: moto's error each time
    "((a = :v))",
    "a = ",
    "a = :v AND",
    "(a = :v",
    "a & b",
    "attribute_exists(:v)",
    "status = :v",
]
ARGUMENTS: list[tuple[Any, Any]] = [
    ({"#a": "a", "#b": "b", "#l": "l"}, {k: {"S": k} for k in (":prev", ":v", ":lo", ":hi", ":a", ":b", ":n", ":t")}),
    ({"#a": "x", "#b": "y", "#l": "z"}, {k: {"N": "7"} for k in (":prev", ":v", ":lo", ":hi", ":a", ":b", ":n", ":t")}),
    ({"#a": "a"}, {":v": {"S": "v"}}),  # some missing: moto's KeyError
    (None, None),
    ({}, {":prev": {"L": []}, ":v": {"NULL": True}, ":lo": {"NULL": True}, ":hi": {"N": "1"}, ":a": {}}),
]


def test_a_kept_condition_is_moto_s_own_parse_whatever_the_names_and_values(lexed: list[str]) -> None:
    moto_parse = inspect.unwrap(ConditionExpressionParser.parse)

    def outcome(parse: Callable[[ConditionExpressionParser], Any], text: str, names: Any, values: Any) -> Any:
        parser = ConditionExpressionParser(text, names, values)
        made: tuple[Any, ...]
        try:
            made = ("op", _op_tree(parse(parser)))
        except Exception as error:
            made = ("error", type(error), str(error))
        return made, parser.expr_attr_names_found, parser.expr_attr_values_found

    counts = dict.fromkeys(CONDITIONS, 0)  # the lexes of the patched parse
    for text in CONDITIONS:
        for names, values in ARGUMENTS * 2:
            before = len(lexed)
            mine = outcome(ConditionExpressionParser.parse, text, names, values)
            counts[text] += len(lexed) - before
            assert mine == outcome(moto_parse, text, names, values), (text, names, values)
    # The patch lexed each valid text once at most (kept for the process: maybe by an earlier
    # test), the invalid ones each time (never kept).
    assert all(counts[text] <= 1 for text in CONDITIONS[:12]), counts
    assert all(counts[text] == 2 * len(ARGUMENTS) for text in CONDITIONS[12:]), counts


def test_an_invalid_condition_expression_still_gets_moto_s_error(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ddb.put_item(TableName="a", Item={"k": {"S": "x"}, "v": {"S": "1"}})
    requests: list[dict[str, Any]] = [
        {"ConditionExpression": "attribute_not_exists(k"},  # no such expression
        {"ConditionExpression": "status = :p", "ExpressionAttributeValues": {":p": {"S": "1"}}},  # a reserved word
        {"ConditionExpression": "v = :p", "ExpressionAttributeValues": {":p": {"S": "1"}}},  # kept: it passes
        {"ConditionExpression": "v = :p", "ExpressionAttributeValues": {":q": {"S": "1"}}},  # its value missing
        {"ConditionExpression": "#f = :p", "ExpressionAttributeValues": {":p": {"S": "1"}}},  # a name missing
        {
            "ConditionExpression": "v BETWEEN :p AND :q",
            "ExpressionAttributeValues": {":p": {"S": "0"}, ":q": {"S": "2"}},
        },
        {
            "ConditionExpression": "v BETWEEN :p AND :q",
            "ExpressionAttributeValues": {":p": {"NULL": True}, ":q": {"S": "2"}},
        },
    ]

    def outcomes() -> list[Any]:
        out: list[Any] = []
        for request in requests * 2:
            try:
                ddb.put_item(TableName="a", Item={"k": {"S": "x"}, "v": {"S": "1"}}, **request)
                out.append("ok")
            except Exception as error:  # moto raises some of them as they are (a 500 from its server)
                out.append((type(error).__name__, str(error)))
        return out

    mine = outcomes()
    monkeypatch.setattr(ConditionExpressionParser, "parse", inspect.unwrap(ConditionExpressionParser.parse))
    assert mine == outcomes()
    assert mine[:7] == [
        ("ValueError", "Bad function expression at attribute_not_exists ( k"),
        (
            "ClientError",
            "An error occurred (ValidationException) when calling the PutItem operation: "
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status",
        ),
        "ok",
        ("KeyError", "':p'"),
        ("KeyError", "'#f'"),
        "ok",
        ("IncorrectOperandType", mine[6][1]),
    ]


# ------------------------------------------------------------------ UpdateItem's copies (11)
def _same_copies(original: Any, mine: Any, theirs: Any) -> None:
    """`mine` and `theirs`, two deep copies of `original`, are one graph: the same types, keys
    and atoms, an object kept (not copied) by one kept by the other, a new object for each
    object copied, and what `original` shares shared alike in both."""
    seen: dict[int, tuple[Any, Any, Any]] = {}  # id(original's object) -> (it, mine's, theirs')
    made: set[int] = set()

    def walk(o: Any, m: Any, t: Any) -> None:
        assert type(m) is type(o) and type(t) is type(o), (o, m, t)
        if id(o) in seen:
            assert seen[id(o)][1] is m and seen[id(o)][2] is t, o
            return
        seen[id(o)] = (o, m, t)
        assert (m is o) == (t is o), o
        if m is o:
            return
        assert id(m) not in made, o
        made.add(id(m))
        if isinstance(o, list | tuple):
            assert len(m) == len(o) == len(t), o
            for triple in zip(o, m, t, strict=True):
                walk(*triple)
        elif isinstance(o, dict):
            assert list(m) == list(o) == list(t), o
            for key in o:
                walk(o[key], m[key], t[key])
        elif hasattr(o, "__dict__"):
            assert list(vars(m)) == list(vars(o)) == list(vars(t)), o
            for key in vars(o):
                walk(vars(o)[key], vars(m)[key], vars(t)[key])
        else:
            assert m == t, o

    walk(original, mine, theirs)


UPDATE_EXPRESSIONS = [
    "SET a = :a, b = :b",
    "ADD n :one",
    "REMOVE x, y",
    "SET #v = if_not_exists(#v, :zero) + :one, seen = list_append(if_not_exists(seen, :e), :l)",
    "SET a.b[1].#c = :v REMOVE d[2], d[0] ADD s :s DELETE t :t",
    "SET a = b, c = #d.e, f = g - :h",
    "SET a = :v, a = :w",
    "SET a = :a SET b = :b",
]


def test_moto_s_update_copies_are_made_as_deepcopy_makes_them() -> None:
    from decimal import Decimal

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing.ast_nodes import ExpressionAttribute, UpdateExpression  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        table = dynamodb_backends[ACCOUNT][REGION].tables["t"]
    stored = {
        **EVERY_TYPE,
        "seen": {"L": [{"S": "a"}, {"SS": ["x"]}]},
        "a": {"M": {"b": {"L": [{"N": "1"}, {"M": {"c": {"S": "z"}}}]}}},
        "d": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]},
    }
    item = Item(DynamoType({"S": "x"}), None, stored)
    values: list[Any] = []
    for text in UPDATE_EXPRESSIONS:
        tree = UpdateExpressionParser.make(text)  # the kept tree moto's validator copies
        values += [tree, [tree, tree.children, tree.children[0], tree]]  # shared: shared in the copies
    validated = UpdateExpressionValidator(  # a tree holding moto's values (copied by deepcopy itself)
        UpdateExpressionParser.make(UPDATE_EXPRESSIONS[3]),
        expression_attribute_names={"#v": "n"},
        expression_attribute_values={":zero": {"N": "0"}, ":one": {"N": "1"}, ":e": {"L": []}, ":l": {"L": []}},
        item=item,
        table=table,
    ).validate()
    odd = ExpressionAttribute("a")
    odd.extra = [1]  # an attribute no node holds: deepcopy copies that node
    shared = ["a", "b"]
    loop: list[Any] = [1]
    loop.append(loop)
    values += [
        validated,
        UpdateExpression(children=[odd, odd]),
        item.to_json()["Attributes"],
        {"x": {"SS": shared}, "y": {"SS": shared}, "z": [shared, {"k": shared}], "loop": loop},
        {"d": Decimal("1.5"), "t": (1, [2]), "b": b"\x00", "f": 1.5, "n": None, "c": 1j, "dt": DynamoType({"N": "1"})},
    ]
    for value in values:
        _same_copies(value, moto_patches._deepcopy(value), copy.deepcopy(value))
    memo: dict[int, Any] = {}  # a memo given is used as deepcopy uses it
    mine = moto_patches._deepcopy(values[0], memo)
    assert memo[id(values[0])] is mine and moto_patches._deepcopy(values[0], memo) is mine
    # The handler's snapshot is the JSON of moto's own deep copy, before the update (which
    # changes the stored item in place: a set added to, a map's member set).
    snapshot = moto_patches._ItemSnapshot(item).to_json()
    moto_s = copy.deepcopy(item).to_json()
    _same_copies(item.to_json(), snapshot, moto_s)
    before = copy.deepcopy(moto_s)
    item.attrs["ss"].value.append("c")
    item.attrs["m"].value["nested"].value.append(DynamoType({"S": "new"}))
    item.attrs["a"].value["b"] = DynamoType({"N": "2"})
    assert snapshot == moto_s == before != item.to_json()


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


def _n(value: str) -> dict[str, Any]:
    return {"N": value}


# (key, UpdateItem arguments): run on a table without a stream and on one with a stream and an index.
UPDATES: list[tuple[str, dict[str, Any]]] = [
    (
        "x",
        {
            "UpdateExpression": "SET a = :a, b = :b",
            "ConditionExpression": "attribute_not_exists(k)",
            "ExpressionAttributeValues": {":a": _s("1"), ":b": _n("2")},
            "ReturnValues": "ALL_NEW",
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "SET a = :a, b = :b",
            "ConditionExpression": "attribute_not_exists(k)",
            "ExpressionAttributeValues": {":a": _s("1"), ":b": _n("2")},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "SET a = :a2",
            "ConditionExpression": "a = :a",
            "ExpressionAttributeValues": {":a": _s("1"), ":a2": _s("2")},
            "ReturnValues": "UPDATED_OLD",
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": _n("1")},
            "ReturnValues": "UPDATED_NEW",
        },
    ),
    (
        "x",
        {"UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": _n("1")}, "ReturnValues": "ALL_OLD"},
    ),
    (
        "x",
        {
            "UpdateExpression": "ADD tags :t",
            "ExpressionAttributeValues": {":t": {"SS": ["a", "b"]}},
            "ReturnValues": "UPDATED_OLD",
        },
    ),
    # moto adds to a stored set in place: the old values are the copy's
    (
        "x",
        {
            "UpdateExpression": "ADD tags :t",
            "ExpressionAttributeValues": {":t": {"SS": ["c"]}},
            "ReturnValues": "UPDATED_OLD",
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "ADD tags :t",
            "ExpressionAttributeValues": {":t": {"SS": ["d"]}},
            "ReturnValues": "UPDATED_NEW",
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "ADD tags :t",
            "ExpressionAttributeValues": {":t": {"SS": ["e"]}},
            "ReturnValues": "ALL_OLD",
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "DELETE tags :t",
            "ExpressionAttributeValues": {":t": {"SS": ["a"]}},
            "ReturnValues": "ALL_NEW",
        },
    ),
    ("x", {"UpdateExpression": "ADD a :one", "ExpressionAttributeValues": {":one": _n("1")}}),  # ADD to a string
    (
        "x",
        {
            "UpdateExpression": "SET m = :m",
            "ReturnValues": "UPDATED_NEW",
            "ExpressionAttributeValues": {":m": {"M": {"kid": {"M": {"v": _n("1")}}, "lst": {"L": [_s("p")]}}}},
        },
    ),
    ("x", {"UpdateExpression": "SET m.gone.deeper = :v", "ExpressionAttributeValues": {":v": _s("v")}}),  # no such path
    (
        "x",
        {
            "UpdateExpression": "SET m.kid.v = m.kid.v + :one, m.lst[5] = :v, m.kid.w = :v",
            "ReturnValues": "UPDATED_OLD",
            "ExpressionAttributeValues": {":one": _n("1"), ":v": _s("v")},
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "SET l = list_append(if_not_exists(l, :empty), :l)",
            "ReturnValues": "ALL_NEW",
            "ExpressionAttributeValues": {":empty": {"L": []}, ":l": {"L": [_s("1"), {"M": {"q": {"NS": ["1"]}}}]}},
        },
    ),
    (
        "x",
        {
            "UpdateExpression": "SET l = list_append(if_not_exists(l, :empty), :l)",
            "ReturnValues": "UPDATED_OLD",
            "ExpressionAttributeValues": {":empty": {"L": []}, ":l": {"L": [_s("2")]}},
        },
    ),
    ("x", {"UpdateExpression": "REMOVE l[0], b", "ReturnValues": "UPDATED_OLD"}),
    ("x", {"UpdateExpression": "REMOVE nothing_here", "ReturnValues": "UPDATED_OLD"}),
    ("x", {"UpdateExpression": "SET a = :v, a = :w", "ExpressionAttributeValues": {":v": _s("v"), ":w": _s("w")}}),
    ("x", {"UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": _s("v"), ":unused": _s("u")}}),
    (
        "x",
        {
            "UpdateExpression": "SET a = :v, b = :v",
            "ExpressionAttributeValues": {":v": _s("same")},
            "ReturnValues": "ALL_NEW",
        },
    ),
    ("x", {"UpdateExpression": "SET a = :missing, b = :v", "ExpressionAttributeValues": {":v": _s("v")}}),
    ("x", {"UpdateExpression": "SET #nope = :v", "ExpressionAttributeValues": {":v": _s("v")}}),
    ("x", {"UpdateExpression": "SET n = n - :s", "ExpressionAttributeValues": {":s": _s("1")}}),
    (
        "x",
        {
            "UpdateExpression": "SET n = n + :one",
            "ExpressionAttributeValues": {":one": _n("1")},
            "ReturnValues": "UPDATED_NEW",
        },
    ),
    ("x", {"UpdateExpression": "SET k = :s", "ExpressionAttributeValues": {":s": _s("other")}}),
    ("x", {"UpdateExpression": "SET g = :one", "ExpressionAttributeValues": {":one": _n("1")}}),  # the index's key is S
    ("x", {"UpdateExpression": "SET g = :e", "ExpressionAttributeValues": {":e": _s("")}}),
    ("x", {"UpdateExpression": "SET a = :a SET b = :b", "ExpressionAttributeValues": {":a": _s("a"), ":b": _s("b")}}),
    ("x", {"UpdateExpression": "SET = 1"}),
    ("x", {"UpdateExpression": "SET a = b", "ReturnValues": "ALL_NEW"}),
    (
        "x",
        {
            "UpdateExpression": "SET a = :a",
            "ConditionExpression": "attribute_exists(nope)",
            "ExpressionAttributeValues": {":a": _s("a")},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    ("x", {"UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": _s("a")}, "ReturnValues": "BOGUS"}),
    (
        "y",
        {
            "UpdateExpression": "SET a = :a",
            "ConditionExpression": "attribute_exists(k)",
            "ExpressionAttributeValues": {":a": _s("a")},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    ("y", {"UpdateExpression": "REMOVE x, y", "ReturnValues": "ALL_NEW"}),
    (
        "y",
        {
            "UpdateExpression": "SET a = if_not_exists(a, :v)",
            "ExpressionAttributeValues": {":v": _s("v")},
            "ReturnValues": "UPDATED_NEW",
        },
    ),
    (
        "z",
        {
            "AttributeUpdates": {"a": {"Value": _s("v"), "Action": "PUT"}, "n": {"Value": _n("3"), "Action": "ADD"}},
            "ReturnValues": "ALL_NEW",
        },
    ),
    ("z", {"AttributeUpdates": {"n": {"Value": _n("3"), "Action": "ADD"}}, "ReturnValues": "UPDATED_OLD"}),
    # 12, 13: what the validator's walks decide (a missing list, a list of a string, paths and counts)
    ("x", {"UpdateExpression": "SET l2 = list_append(nothere, :l)", "ExpressionAttributeValues": {":l": {"L": []}}}),
    ("x", {"UpdateExpression": "SET l = list_append(:l, a)", "ExpressionAttributeValues": {":l": {"L": []}}}),
    (
        "x",
        {
            "UpdateExpression": "SET #a = if_not_exists(#gone, :v), m.kid.#w = :v REMOVE m.lst[0] ADD tags :t",
            "ExpressionAttributeNames": {"#a": "a", "#gone": "gone", "#w": "w"},
            "ExpressionAttributeValues": {":v": _s("v"), ":t": {"SS": ["z"]}},
            "ReturnValues": "ALL_NEW",
        },
    ),
    ("x", {"UpdateExpression": "SET m.kid = :v, m.kid.w = :v", "ExpressionAttributeValues": {":v": _s("v")}}),
    ("x", {"UpdateExpression": "REMOVE a ADD a :one", "ExpressionAttributeValues": {":one": _n("1")}}),
]


def _update_outcomes() -> list[Any]:
    """What moto answers to UPDATES (and transactions of updates), stores and streams, step by step."""
    out: list[Any] = []
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        client.create_table(
            TableName="a",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="s",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("k", "r", "g")],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            BillingMode="PAY_PER_REQUEST",
        )
        tables = dynamodb_backends[ACCOUNT][REGION].tables
        assert tables["a"].stream_shard is None and tables["s"].stream_shard is not None

        def key(table: str, k: str) -> dict[str, Any]:
            return {"k": _s(k)} if table == "a" else {"k": _s(k), "r": _s("1")}

        def call(operation: str, **params: Any) -> None:
            try:
                answer = getattr(client, operation)(**params)
                answer.pop("ResponseMetadata", None)
                out.append(("ok", answer))
            except client.exceptions.ClientError as error:
                out.append(("error", {k: v for k, v in error.response.items() if k != "ResponseMetadata"}))
            except Exception as error:  # moto raises some as they are
                out.append(("raised", type(error).__name__, str(error)))
            out.append(sorted(map(str, client.scan(TableName="a")["Items"] + client.scan(TableName="s")["Items"])))
            shard = tables["s"].stream_shard
            records = [r.to_json() for r in shard.items] if shard is not None else []
            unstable = {"ApproximateCreationDateTime": "", "SizeBytes": 0}  # a time, and the record's size with it
            out.append(
                copy.deepcopy([{**r, "eventID": "", "dynamodb": {**r["dynamodb"], **unstable}} for r in records])
            )

        for table in ("a", "s"):
            for k, params in UPDATES:
                call("update_item", TableName=table, Key=key(table, k), **params)
        for table, other in (("a", "s"), ("s", "a")):
            updates = [
                {
                    "TableName": table,
                    "Key": key(table, "x"),
                    "UpdateExpression": "SET a = :v",
                    "ConditionExpression": "a = :w",
                    "ExpressionAttributeValues": {":v": _s("t"), ":w": _s("wrong")},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                },
                {
                    "TableName": other,
                    "Key": key(other, "x"),
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": _n("1")},
                },
            ]
            call("transact_write_items", TransactItems=[{"Update": u} for u in updates])  # cancelled, the item returned
            passing = {**updates[0], "ConditionExpression": "a <> :w"}
            call("transact_write_items", TransactItems=[{"Update": passing}, {"Update": updates[1]}])
            new_items = [
                {
                    "TableName": t,
                    "Key": key(t, "w"),
                    "UpdateExpression": "SET a = :v REMOVE x",
                    "ExpressionAttributeValues": {":v": _s("v")},
                }
                for t in (table, other)
            ]
            call("transact_write_items", TransactItems=[{"Update": u} for u in new_items])
            call(
                "transact_write_items",
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": key(table, "w"),
                            "UpdateExpression": "ADD tags :t",
                            "ExpressionAttributeValues": {":t": {"SS": ["q"]}},
                        }
                    },
                    {
                        "Update": {
                            "TableName": other,
                            "Key": key(other, "x"),
                            "UpdateExpression": "ADD a :one",
                            "ExpressionAttributeValues": {":one": _n("1")},
                        }
                    },
                ],
            )  # cancelled: ADD to a string
    return out


def test_update_item_answers_stores_and_streams_what_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.parsing import validators

    mine = _update_outcomes()
    monkeypatch.setattr(validators, "deepcopy", copy.deepcopy)
    monkeypatch.setattr(dynamodb_responses, "copy", copy)
    monkeypatch.setattr(dynamodb_models, "copy", getattr(dynamodb_models, "copy")._inner)  # noqa: B009
    monkeypatch.setattr(DynamoDBBackend, "update_item", inspect.unwrap(DynamoDBBackend.update_item))
    monkeypatch.setattr(moto_patches, "_deepcopy", copy.deepcopy)  # patch 1's rollback copy
    moto_s = _update_outcomes()
    assert len(mine) == len(moto_s)
    for step, (a, b) in enumerate(zip(mine, moto_s, strict=True)):
        assert a == b, step
    answers = [o for o in mine if isinstance(o, tuple)]
    assert len(answers) == 2 * len(UPDATES) + 8
    assert sum(o[0] == "ok" for o in answers) > 30 and sum(o[0] != "ok" for o in answers) > 20


def test_update_item_copies_no_tree_and_no_item_it_does_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    installed = (DynamoDBBackend.update_item, dynamodb_models.copy, dynamodb_responses.copy)  # type: ignore[attr-defined]
    assert getattr(installed[0], "_copies_less", False)  # by install()
    moto_patches._install_update_copies()  # again: nothing more wrapped
    assert (DynamoDBBackend.update_item, dynamodb_models.copy, dynamodb_responses.copy) == installed  # type: ignore[attr-defined]
    assert getattr(installed[0], "__wrapped__") is inspect.unwrap(installed[0])  # noqa: B009
    assert getattr(validators, "deepcopy") is moto_patches._deepcopy  # noqa: B009
    copied: list[str] = []
    deepcopy = copy.deepcopy

    def recorded(value: Any, memo: Any = None, _nil: Any = None) -> Any:
        if isinstance(value, Node | Item):
            copied.append(type(value).__name__)
        return deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", recorded)  # moto's deepcopy copies each object through it
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        for name, stream in (
            ("plain", {}),
            ("streamed", {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
        ):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                **stream,
            )

        def updates(table: str) -> None:
            client.put_item(TableName=table, Item={"k": _s("x"), "x": _s("1"), "y": _s("2")})
            client.update_item(
                TableName=table,
                Key={"k": _s("x")},
                UpdateExpression="SET a = :a, b = :b",
                ConditionExpression="attribute_exists(k)",
                ReturnValues="ALL_NEW",
                ExpressionAttributeValues={":a": _s("a"), ":b": _n("1")},
            )
            client.update_item(
                TableName=table,
                Key={"k": _s("x")},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": _n("1")},
                ReturnValues="UPDATED_OLD",
            )
            client.update_item(TableName=table, Key={"k": _s("x")}, UpdateExpression="REMOVE x, y")
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"k": _s("x")},
                            "UpdateExpression": "SET l = list_append(if_not_exists(l, :e), :l)",
                            "ExpressionAttributeValues": {":e": {"L": []}, ":l": {"L": [_s("1")]}},
                        }
                    }
                ]
            )

        updates("plain")
        assert copied == []  # moto copied 2 items and 1 tree per update (transactions: 1 and 1)
        updates("streamed")
        assert copied == ["Item"] * 4  # the stream's old image, its only reader


# ------------------------------------------------------------------ the validator's walks (12, 13)
def test_moto_s_traversal_and_find_clauses_are_what_the_quick_ones_stand_in_for() -> None:
    from moto.dynamodb.parsing import ast_nodes, validators

    traverser, node = ast_nodes.DepthFirstTraverser, ast_nodes.Node  # type: ignore[attr-defined]
    assert getattr(traverser.traverse, "_quick", False) and getattr(node.find_clauses, "_quick", False)
    moto_patches._install_quick_traversal()  # again: nothing more wrapped
    moto_patches._install_quick_find_clauses()
    assert inspect.unwrap(traverser.traverse) is getattr(traverser.traverse, "__wrapped__")  # noqa: B009
    assert inspect.unwrap(node.find_clauses) is getattr(node.find_clauses, "__wrapped__")  # noqa: B009
    # 12: moto's walk, which the quick one follows step by step.
    assert "def traverse(self, node): return self.traverse_node_recursively(node)" in _source(traverser.traverse)
    assert (
        "if isinstance(node, Node): parent_node = node.parent if node.children is not None: "
        "for i, child_node in enumerate(node.children): self.pre_processing_of_child(node, i) "
        "self.traverse_node_recursively(child_node, i) # noinspection PyTypeChecker "
        "if isinstance(node, self.nodes_to_be_processed()): node = self.process(node) node.parent = parent_node "
        "if parent_node: parent_node.children[child_id] = node return node"
    ) in _source(traverser.traverse_node_recursively)
    assert "return tuple(k for k in self._processing_map().keys())" in _source(traverser.nodes_to_be_processed)
    assert (
        "for class_key, processor in self._processing_map().items(): "
        "if isinstance(node, class_key): return processor(node)"
    ) in _source(traverser.process)
    assert "pass" in _source(traverser.pre_processing_of_child).split('"""')[-1]
    # moto's traversers: none walks otherwise, one has its own hook, each map is the same at every node.
    classes: list[Any] = [c for c in vars(validators).values() if isinstance(c, type) and issubclass(c, traverser)]
    classes.remove(traverser)
    assert len(classes) == 10
    for cls in classes:
        assert all(getattr(cls, name) is getattr(traverser, name) for name in moto_patches._TRAVERSER_METHODS)
        assert cls.traverse is traverser.traverse
        code = _source(cls._processing_map)
        assert re.fullmatch(r"def _processing_map\(.*?\) -> .*?: return \{[^{}]*\}", code), code
    assert [c.__name__ for c in classes if c.pre_processing_of_child is not traverser.pre_processing_of_child] == [
        "ExpressionAttributeResolvingProcessor"
    ]
    # 13: moto's find_clauses, whose isinstance checks the quick one looks up by type.
    assert (
        "clauses = [] for child in self.children or []: if type(child) in clause_types: clauses.append(child) "
        "elif isinstance(child, Expression): clauses.extend(child.find_clauses(clause_types)) "
        "elif isinstance(child, UpdateExpressionFunction): clauses.extend(child.find_clauses(clause_types)) "
        "return clauses"
    ) in _source(node.find_clauses)
    nodes = [c for c in vars(ast_nodes).values() if isinstance(c, type) and issubclass(c, node)]
    assert [c for c in nodes if "find_clauses" in vars(c)] == [node]


@pytest.fixture
def moto_s_walks(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Puts moto's own traverse and find_clauses back (for the rest of the test)."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]

    def put_back() -> None:
        monkeypatch.setattr(DepthFirstTraverser, "traverse", inspect.unwrap(DepthFirstTraverser.traverse))
        monkeypatch.setattr(Node, "find_clauses", inspect.unwrap(Node.find_clauses))

    return put_back


def _graph(value: Any) -> list[Any]:
    """`value` as a list of its objects (each once, in the order first reached, through
    children, parents and attributes alike), each object's attributes naming the others by
    their place: two trees are alike, parents and sharing included, when their graphs are equal."""
    places: dict[int, int] = {}
    graph: list[Any] = []

    def ref(x: Any) -> Any:
        if isinstance(x, list):
            return [ref(e) for e in x]
        if isinstance(x, dict):
            return {k: ref(e) for k, e in x.items()}
        if not hasattr(x, "__dict__"):
            return x
        if id(x) not in places:
            places[id(x)] = len(graph)
            graph.append(None)
            graph[places[id(x)]] = (type(x).__name__, {k: ref(e) for k, e in vars(x).items()})
        return ("@", places[id(x)])

    ref(value)
    return graph


# (update expression, names): validated against VALIDATED_ITEM with VALIDATED_VALUES.
VALIDATED = [
    ("SET a = :a, b = :b", {}),
    ("ADD n :one", {}),
    ("ADD s :one", {}),
    ("ADD nothere.path :one", {}),
    ("REMOVE x, y", {}),
    ("SET #v = if_not_exists(#v, :zero) + :one, seen = list_append(if_not_exists(seen, :e), :l)", {"#v": "n"}),
    ("SET x = if_not_exists(nothere, :a), y = if_not_exists(s, :a)", {}),
    ("SET x = list_append(nothere, :l)", {}),
    ("SET x = list_append(:l, s)", {}),
    ("SET x = nothere", {}),
    ("SET x = nothere.deeper[2]", {}),
    ("SET m.gone.deeper = :a", {}),
    ("SET a.b[1].#c = :a REMOVE d[2], d[0] ADD ss :ss DELETE ts :ss", {"#c": "c"}),
    ("SET a.b[7] = :a, d[1] = d[0] + :one", {}),
    ("SET x = b, c = #d.e, f = n - :one", {"#d": "m"}),
    ("SET x = s, c = #d.e, f = n - :one", {"#d": "m"}),
    ("SET x = s + :one", {}),
    ("SET x = :one - s", {}),
    ("SET a = :a, a = :b", {}),
    ("SET a.b = :a, a = :b", {}),
    ("SET #a = :a, #b = :b", {"#a": "q", "#b": "q"}),
    ("SET a = :a SET b = :b", {}),
    ("ADD n :one ADD m :one", {}),
    ("REMOVE a REMOVE b", {}),
    ("SET k = :a", {}),
    ("SET #k = :a", {"#k": "k"}),
    ("SET a = :missing", {}),
    ("SET #nope = :a", {}),
    ("SET x = :one, y = :e, z = :l REMOVE a.b[0], d ADD ns :ns", {}),
]
VALIDATED_VALUES: dict[str, Any] = {
    ":a": {"S": "a"},
    ":b": {"S": "b"},
    ":one": {"N": "1"},
    ":zero": {"N": "0"},
    ":e": {"L": []},
    ":l": {"L": [{"S": "l"}]},
    ":ss": {"SS": ["x"]},
    ":ns": {"NS": ["2"]},
}
VALIDATED_ITEM = {
    "k": {"S": "x"},
    "s": {"S": "text"},
    "n": {"N": "5"},
    "ss": {"SS": ["x", "y"]},
    "ts": {"SS": ["x"]},
    "seen": {"L": [{"S": "a"}]},
    "a": {"M": {"b": {"L": [{"N": "1"}, {"M": {"c": {"S": "z"}}}]}}},
    "d": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]},
    "m": {"M": {"e": {"S": "e"}}},
}


def _validated() -> list[Any]:
    """What moto's update validator makes of each of VALIDATED (its tree, as `_graph`s), or raises."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("k", "g")],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        table = dynamodb_backends[ACCOUNT][REGION].tables["t"]
    out: list[Any] = []
    for text, names in [*VALIDATED, ("SET g = :one", {}), ("SET g = :e", {}), ("SET #g = :s", {"#g": "g"})]:
        item = Item(DynamoType({"S": "x"}), None, copy.deepcopy(VALIDATED_ITEM))
        tree = UpdateExpressionParser.make(text)
        try:
            validated = UpdateExpressionValidator(
                tree, names, {**VALIDATED_VALUES, ":s": {"S": ""}}, item, table
            ).validate()
            out.append(("ok", text, _graph(validated)))
        except Exception as error:  # moto's own errors, compared by type and message
            out.append(("raised", text, type(error).__name__, str(error)))
        out.append(_graph(tree))  # the kept tree: not changed by the validator
    return out


def test_the_validator_makes_moto_s_trees_and_raises_moto_s_errors(moto_s_walks: Callable[[], None]) -> None:
    mine = _validated()
    moto_s_walks()
    moto_s = _validated()
    assert len(mine) == len(moto_s) == 2 * (len(VALIDATED) + 3)
    for a, b in zip(mine, moto_s, strict=True):
        assert a == b
    outcomes = mine[::2]
    assert sum(o[0] == "ok" for o in outcomes) >= 8 and sum(o[0] == "raised" for o in outcomes) >= 15
    assert len({o[2] for o in outcomes if o[0] == "raised"}) >= 8  # as many kinds of error


def test_update_item_answers_what_moto_s_walks_answer(moto_s_walks: Callable[[], None]) -> None:
    mine = _update_outcomes()
    moto_s_walks()
    moto_s = _update_outcomes()
    assert len(mine) == len(moto_s)
    for step, (a, b) in enumerate(zip(mine, moto_s, strict=True)):
        assert a == b, step


def test_a_traverser_is_walked_as_moto_walks_it(moto_s_walks: Callable[[], None]) -> None:
    """Processors in the map's order (the first that applies), the hook before each child,
    replacements put in the parent's children, and a traverser with its own walk walked by it."""
    from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
        DepthFirstTraverser,
        Expression,
        UpdateExpression,
        UpdateExpressionSetAction,
    )

    class Recording(DepthFirstTraverser):  # type: ignore[misc]
        def __init__(self) -> None:
            self.log: list[Any] = []

        def _processing_map(self) -> dict[type, Callable[[Any], Any]]:
            return {
                UpdateExpressionSetAction: self.action,
                UpdateExpression: self.other,
                Expression: self.other,
            }

        def pre_processing_of_child(self, parent_node: Any, child_id: int) -> None:
            self.log.append(("child", type(parent_node).__name__, child_id))

        def action(self, node: Any) -> Any:
            self.log.append(("action", type(node).__name__))
            return UpdateExpressionSetAction(children=list(node.children))

        def other(self, node: Any) -> Any:
            self.log.append(("other", type(node).__name__, len(node.children or [])))
            return node

    class OwnProcess(Recording):
        def process(self, node: Any) -> Any:
            self.log.append(("own", type(node).__name__))
            return node

    def walked() -> list[Any]:
        out: list[Any] = []
        for text in ("SET a = :a, b.c[1] = if_not_exists(#b, :b) + :c REMOVE d ADD e :e", "SET a = b"):
            for cls in (Recording, OwnProcess):
                traverser = cls()
                tree = copy.deepcopy(UpdateExpressionParser.make(text))
                out += [traverser.traverse(tree) is tree, traverser.log, _graph(tree)]
        return out

    mine = walked()
    moto_s_walks()
    assert mine == walked()
    assert any(entry[0] == "action" for entry in mine[1]) and any(entry[0] == "own" for entry in mine[4])


# ------------------------------------------------------------------ Cognito behaviour
@pytest.fixture
def idp() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")


def _pool(idp: Any, *, admin_only: bool, write_attributes: list[str] | None) -> tuple[str, str]:
    pool = idp.create_user_pool(
        PoolName=f"admin-only-{admin_only}",
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": admin_only},
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    extra = {} if write_attributes is None else {"WriteAttributes": write_attributes}
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"], **extra
    )["UserPoolClient"]["ClientId"]
    return pool, client


def _access_token(idp: Any, pool: str, client: str) -> str:
    idp.admin_create_user(
        UserPoolId=pool,
        Username="u",
        UserAttributes=[{"Name": "custom:tenant", "Value": "t1"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool, Username="u", Password="Passw0rd-long!", Permanent=True)
    result = idp.initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "u", "PASSWORD": "Passw0rd-long!"}
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def test_sign_up_is_refused_exactly_when_the_pool_is_admin_only(idp: Any) -> None:
    _, closed = _pool(idp, admin_only=True, write_attributes=None)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="SignUp is not permitted for this user pool"):
        idp.sign_up(ClientId=closed, Username="me", Password="Passw0rd-long!")
    _, open_client = _pool(idp, admin_only=False, write_attributes=["name"])
    assert idp.sign_up(ClientId=open_client, Username="me", Password="Passw0rd-long!")["UserSub"]
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="unauthorized attribute"):
        idp.sign_up(
            ClientId=open_client,
            Username="other",
            Password="Passw0rd-long!",
            UserAttributes=[{"Name": "custom:tenant", "Value": "t2"}],
        )


def test_users_write_only_the_clients_writable_attributes(idp: Any) -> None:
    pool, client = _pool(idp, admin_only=True, write_attributes=["name"])
    token = _access_token(idp, pool, client)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="unauthorized attribute"):
        idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "custom:tenant", "Value": "t2"}])
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "New"}])
    # Administrators are not limited by the client.
    idp.admin_update_user_attributes(
        UserPoolId=pool, Username="u", UserAttributes=[{"Name": "custom:tenant", "Value": "t3"}]
    )
    attributes = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool, Username="u")["UserAttributes"]}
    assert (attributes["custom:tenant"], attributes["name"]) == ("t3", "New")


def test_a_client_without_write_attributes_may_write_every_attribute(idp: Any) -> None:
    pool, client = _pool(idp, admin_only=True, write_attributes=None)
    token = _access_token(idp, pool, client)
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "custom:tenant", "Value": "t2"}])
    attributes = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool, Username="u")["UserAttributes"]}
    assert attributes["custom:tenant"] == "t2"


def test_the_quick_walk_processes_each_node_with_the_first_key_of_the_map_as_moto_s_walk_does() -> None:
    """moto's own traversers never list a class and its subclass as keys, so the answer tables
    above cannot tell whether the quick walk (patch 12) picks the *first* matching key, as
    `process` does: a traverser of our own that lists both, with a hook, walked both ways."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]

    install()

    class Base(Node):  # type: ignore[misc]
        pass

    class Special(Base):
        pass

    class Leaf(Node):  # type: ignore[misc]
        pass

    def tree() -> Node:
        return Leaf([Special([Leaf(["x"]), "y"]), Base([Leaf(None)]), 7])

    class Marker(DepthFirstTraverser):  # type: ignore[misc]
        def __init__(self, order: str) -> None:
            self.order = order
            self.seen: list[tuple[str, int]] = []

        def _processing_map(self) -> dict[type, Callable[[Node], Node]]:
            special: dict[type, Callable[[Node], Node]] = {Special: lambda n: Leaf([f"special:{len(n.children)}"])}
            base: dict[type, Callable[[Node], Node]] = {Base: lambda n: Leaf([f"base:{len(n.children)}"])}
            return {**special, **base} if self.order == "special first" else {**base, **special}

        def pre_processing_of_child(self, parent_node: Node, child_id: int) -> None:
            self.seen.append((parent_node.type, child_id))

    def shape(node: Any) -> Any:
        if isinstance(node, Node):
            return (node.type, [shape(c) for c in node.children or []])
        return node

    assert getattr(DepthFirstTraverser.traverse, "_quick", False)
    for order in ("special first", "base first"):
        quick, moto = Marker(order), Marker(order)
        walked = quick.traverse(tree())
        expected = DepthFirstTraverser.traverse.__wrapped__(moto, tree())
        assert shape(walked) == shape(expected)
        assert quick.seen == moto.seen and quick.seen
    assert shape(Marker("special first").traverse(tree())) != shape(Marker("base first").traverse(tree()))


def test_text_that_reads_like_a_query_string_action_is_stored_and_deletes_nothing() -> None:
    """Patch 14: a customer who types `&Action=DeleteTable` made moto delete the table (it read
    the JSON body as a query string, and an `Action` there beat X-Amz-Target)."""
    install()
    text = "see https://shop.example/?q=1&Action=DeleteTable&x=2"
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"pk": {"S": "a"}, "text": {"S": text}})
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}, "text": {"S": text}}}}]
        )
        client.update_item(
            TableName="t",
            Key={"pk": {"S": "c"}},
            UpdateExpression="SET #t = :t",
            ExpressionAttributeNames={"#t": "text"},
            ExpressionAttributeValues={":t": {"S": "&Action=ListTables"}},
        )
        assert client.list_tables()["TableNames"] == ["t"]
        stored = {i["pk"]["S"]: i["text"]["S"] for i in client.scan(TableName="t")["Items"]}
        assert stored == {"a": text, "b": text, "c": "&Action=ListTables"}
