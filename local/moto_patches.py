"""Patches of moto, written against one version of it (`MOTO_VERSION`, fenced by
tests/local/test_moto_patches.py; the fixes moto itself could make are in
docs/local-stack.md). Hand-written because no library does it.

Two keep moto's DynamoDB fast as local data grows (its semantics unchanged):

1. `TransactWriteItems` rolls back the items it touched instead of whole tables. moto backs
   up every table a transaction touches with `copy.deepcopy(table)` before applying it, so
   each transaction cost O(items stored): on the local stack a send's transaction went from
   ~10 ms on empty tables to ~200 ms after 1,500 messages. A rollback only needs the items
   the transaction touches; requests reach moto one at a time (`local.moto_server`), so
   nothing else changes them meanwhile. moto's own code still checks the conditions and
   applies the writes; only what it copies, and how it is restored, changes.

2. A base-table `Query` reads its own partition. moto walks every item of the table and keeps
   those with the hash key, so the send path's one Query (a conversation's partition) cost
   O(table); it now gets the partition's items only. Index queries are left as they are.

Two make moto's Cognito enforce what the local user pool is configured with, as Cognito does:

3. `SignUp` is refused ("SignUp is not permitted for this user pool") when the pool allows
   only administrators to create users (`AdminCreateUserConfig.AllowAdminCreateUserOnly`).
4. `SignUp` and `UpdateUserAttributes` (a user changing their own attributes) may write only
   the app client's `WriteAttributes` ("A client attempted to write unauthorized attribute"),
   so a user cannot move themselves to another tenant (`custom:tenant`). The admin APIs are
   not limited by the client, as on AWS.

Nine cut what every request costs moto's server (`local.moto_server`), its answers unchanged:

5. The backend of a request is found without listing moto's package directory each time.
   `DomainDispatcherApplication.get_backend_for_host` asks `backends.list_of_moto_modules()`,
   which lists and `isdir`s moto's ~150 service folders on every request (~5% of moto's
   time under load); the list is the installed package's, so it is read once.
6. The actions a response class has are looked up once per class: `BaseResponse.call_action`
   runs `inspect.getmembers` over the whole class on every request (~4%).
7. The JSON of DynamoDB's data-plane answers (GetItem, Query, PutItem, TransactWriteItems...)
   is dumped directly. moto walks each result along botocore's output shape, trying up to a
   dozen spellings of every key of every attribute value (~16% of moto's time); moto's
   DynamoDB results already use the shape's own key names (attribute values as `{"S": ...}`),
   so a walk compiled once per operation from the same shape reads each key directly and
   writes what moto's walk writes (members in the shape's order, None members left out, float
   members as floats, binary values in base64): the body is the same bytes. A result with
   anything else in it (a key that is not the shape's, a value not of the shape's type, a
   None in a list or map) and every error still go through moto's serializer; the one extra
   key moto's serializer drops (DeleteItem's `ConsumedCapacityUnits`) is listed in
   `DYNAMODB_IGNORED_KEYS`. The fence test compares both writers byte for byte, op by op.
8. A backend already made for an account is returned without scanning moto's list of backends
   in use. `BackendDict[account]` checks `self not in BackendDict._instances` on every call, a
   linear scan calling a Python `__eq__` on ~100 backends, several times a request (~5%). A
   dict holding an account's backend is already in that list (moto adds both under one lock,
   and `BackendDict.reset` empties both), so the scan only runs for a new account.
9. An update expression is parsed once per text. Every UpdateItem (and each Update of a
   transaction) tokenizes and parses its expression two or three times (~10%); the tree is
   only read (`find_clauses`) or deep-copied by moto's validator before it is changed, so
   one parsed tree per distinct text (at most `UPDATE_EXPRESSIONS_KEPT`) serves them all.
   Expressions that fail to parse are not kept: they fail again, with moto's own error.
10. A condition (or filter) expression is lexed and parsed once per text. Every conditional
   PutItem/UpdateItem/DeleteItem and each condition of a transaction runs moto's
   `ConditionExpressionParser.parse` two or three times (~14% of moto's time, ~0.1 ms a
   parse); only the expression attribute names and values (`#n`, `:v`) differ between
   requests, and moto only looks them up (`_lookup_expression_attribute_name`/`_value`),
   building leaf nodes the later stages never look into. So the first successful parse of a
   text keeps its tree with those lookups left as holes; later parses look the names and
   values up with moto's own lookups, in moto's order (a missing one fails as in moto), fill
   the holes with new nodes, and hand the tree to moto's `_make_op_condition`, which builds the
   operators (and raises what depends on the values, as before). Kept trees are only read.
   Expressions that fail to parse are not kept: they fail again, with moto's own error.
11. UpdateItem (and each Update of a transaction) copies less: a fifth of the handler's time
   went to `copy.deepcopy` (0.82x the handler's CPU in a microbenchmark). moto's validator
   deep-copies the kept tree of patch 9 before changing it: its nodes are plain objects
   holding `type`, `children` and `parent` only, so `_deepcopy` copies them as `copy.deepcopy`
   does (`cls.__new__(cls)`, the `__dict__` deep-copied, each node and list once through the
   memo, so what is shared stays shared), without deepcopy's generic dispatch; a node holding
   anything else, and any other object, still goes to `copy.deepcopy`. The handler deep-copies
   the stored item only to read `to_json()` of it before the update: `_ItemSnapshot` reads the
   item's own `to_json()` at that moment instead, deep-copied (plain data, by `_deepcopy`). The
   backend deep-copies the item for the stream's old image (`orig_item`), read only when the
   table has a stream: for a table without one the copy is not made. Patch 1's rollback copies
   the items' JSON with `_deepcopy` too. The test compares every answer, stored item and stream
   record with moto's own copies, and each copy with `copy.deepcopy`'s, object for object.
12. The update validator's tree walks cost what the tree holds. moto validates an update
   expression with about ten `DepthFirstTraverser`s, and at every node of every walk each one
   built its processing map anew (`nodes_to_be_processed`, `process`) and asked `isinstance`
   of ABCs (`Node` has `ABCMeta`), about 18% of moto's CPU under load. The walk now takes the
   map once per walk and looks a node's kind (not a node; a node no key takes; else the first
   key of the map, in its order, that it is an instance of, as `process` picks) up by its type,
   computed once per type with `issubclass` and forgotten when an ABC registers a class. A
   traverser that overrides the walk, `nodes_to_be_processed` or `process` keeps moto's walk;
   `pre_processing_of_child` is still called wherever a traverser overrides it.
13. `Node.find_clauses` asks its two `isinstance`s (of ABCs) once per node type, not per child.
   Patches 12 and 13 together, in two microbenchmarks: 0.58-0.61x the UpdateItem and
   TransactWriteItems handler's CPU over a mix of pynamodb-style expressions (3.5 -> 2.1 ms a
   request; 12 alone 0.71x, 13 alone 0.96x), and 0.50x the backend's for one hub-like UpdateItem
   (SET with `if_not_exists`, REMOVE, ADD; 3.37 -> 1.68 ms). The tests compare the validated
   trees of 32 expressions (errors included) and every UpdateItem and transaction answer with
   moto's own walk, and fence the moto code the walk stands in for.
14. A DynamoDB call's operation is its `X-Amz-Target`, never a key of its body. moto reads the
   JSON body as a query string too (`setup_class`), and `_get_action` prefers an `Action`
   found there: a message whose text holds `&Action=DeleteTable` made a PutItem delete the
   table. DynamoDB's JSON protocol names the operation only in the header, so the header wins
   when it is DynamoDB's (`DynamoDB_20120810.`); any other request is moto's as before.
"""

from __future__ import annotations

import abc
import base64
import copy
import copyreg
import functools
import json
import logging
import threading
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

log = logging.getLogger("local.moto_patches")

# The moto these patches were written against and checked with; another version must be
# re-checked against its source before this changes (the fence test fails until then).
MOTO_VERSION = "5.2.5"


class _CopyButNotTables:
    """Stands in for the `copy` module inside moto's DynamoDB backend: tables are not copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    if version("moto") != MOTO_VERSION:
        log.warning("moto %s is not %s, which local.moto_patches was checked against", version("moto"), MOTO_VERSION)
    _install_item_rollback()
    _install_partition_query()
    _install_cognito_write_rules()
    _install_backend_list_once()
    _install_action_names_once()
    _install_dynamodb_json()
    _install_known_account_backends()
    _install_update_expression_cache()
    _install_condition_expression_cache()
    _install_update_copies()
    _install_quick_traversal()
    _install_quick_find_clauses()
    _install_dynamodb_action_from_target()


def _install_cognito_write_rules() -> None:
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    if getattr(CognitoIdpBackend.sign_up, "_write_rules", False):
        return
    original_sign_up = CognitoIdpBackend.sign_up
    original_update = CognitoIdpBackend.update_user_attributes

    def check_writable(client: Any, attributes: list[dict[str, str]]) -> None:
        writable = client.extended_config.get("WriteAttributes")
        # A client without WriteAttributes may write every attribute (Cognito's default).
        if writable is not None and any(a["Name"] not in writable for a in attributes or []):
            raise NotAuthorizedError("A client attempted to write unauthorized attribute")

    @functools.wraps(original_sign_up)
    def sign_up(self: Any, client_id: str, username: str, password: str, attributes: list[dict[str, str]]) -> Any:
        pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
        if pool is not None:
            if pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly"):
                raise NotAuthorizedError("SignUp is not permitted for this user pool")
            check_writable(pool.clients[client_id], attributes)
        return original_sign_up(self, client_id, username, password, attributes)

    @functools.wraps(original_update)
    def update_user_attributes(self: Any, access_token: str, attributes: list[dict[str, str]]) -> None:
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                client_id, _ = pool.access_tokens[access_token]
                if client_id in pool.clients:
                    check_writable(pool.clients[client_id], attributes)
        original_update(self, access_token, attributes)

    sign_up._write_rules = True  # type: ignore[attr-defined]
    CognitoIdpBackend.sign_up = sign_up  # type: ignore[method-assign]
    CognitoIdpBackend.update_user_attributes = update_user_attributes  # type: ignore[method-assign]


def _install_partition_query() -> None:
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_partition_read", False):
        return
    original = Table.query

    @functools.wraps(original)  # `inspect.unwrap` finds moto's own, for the fence test
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)
        items = list(partition.values()) if partition else []
        self.all_items = lambda: items  # the only place moto's base-table query reads from
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query._partition_read = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]


def _install_item_rollback() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "_item_rollback", False):
        return
    models.copy = _CopyButNotTables(Table)  # type: ignore[assignment,attr-defined]
    original = backend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table_name = op.get("TableName")
            if not table_name or table_name not in self.tables:
                continue
            table = self.tables[table_name]
            if "Item" in op:
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs.get(table.range_key_attr)
            else:
                key = op.get("Key") or {}
            try:
                current = self.get_item(table_name, key)
            except Exception:  # noqa: S112 - a malformed key: moto itself rejects it below
                continue
            saved.append((table_name, key, _deepcopy(current.to_json()["Attributes"]) if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(saved):
                if attrs is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attrs)
            raise

    transact_write_items._item_rollback = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _install_backend_list_once() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, "_read_once", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    @functools.wraps(backends.list_of_moto_modules)
    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._read_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules


def _install_action_names_once() -> None:
    from moto.core import responses

    # moto.core.responses imports it by name (not re-exported, hence the ignores): replaced there.
    if getattr(responses.method_names_from_class, "_once_per_class", False):  # type: ignore[attr-defined]
        return
    original = responses.method_names_from_class  # type: ignore[attr-defined]
    names: dict[object, list[str]] = {}

    @functools.wraps(original)
    def method_names_from_class(clazz: object) -> list[str]:
        found = names.get(clazz)
        if found is None:
            found = names[clazz] = original(clazz)
        return found

    method_names_from_class._once_per_class = True  # type: ignore[attr-defined]
    responses.method_names_from_class = method_names_from_class  # type: ignore[attr-defined]


# The DynamoDB operations whose results `_dynamodb_json` dumps; any other goes through moto's serializer.
DYNAMODB_JSON_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


class _NotPlain(Exception):
    """A result holds something moto's serializer would pick or write otherwise: it serializes it."""


Converter = Callable[[Any], Any]


# Keys moto's DynamoDB results hold that are no output member, nor any spelling moto's key
# picker tries for one: its serializer leaves them out, and so does the patch.
DYNAMODB_IGNORED_KEYS = {"DeleteItem": frozenset({"ConsumedCapacityUnits"})}


def _converter(shape: Any, converters: dict[str, Converter], ignored: frozenset[str] = frozenset()) -> Converter:
    """What moto's JSON serializer makes of a value of `shape`, for values it writes as they
    are: a structure is a dict of its own members only (in the shape's order, None members
    left out), a number or a string of the shape's type, a blob bytes (written in base64).
    Anything else raises `_NotPlain`, as does a shape the serializer would rename."""
    if shape.name in converters:  # a recursive shape (AttributeValue), converted once compiled
        name = shape.name

        def compiled(value: Any) -> Any:
            return converters[name](value)

        return compiled
    if shape.serialization.get("name") is not None:
        raise _NotPlain
    kind = shape.type_name

    def refuse(value: Any) -> Any:
        raise _NotPlain

    convert: Converter = refuse
    if kind == "structure" and not shape.is_document_type:
        converters[shape.name] = refuse
        members = [(name, _converter(member, converters)) for name, member in shape.members.items()]
        names = frozenset(shape.members) | ignored

        def convert(value: Any) -> Any:
            if type(value) is not dict or not names.issuperset(value):
                raise _NotPlain
            return {name: member(value[name]) for name, member in members if value.get(name) is not None}

    elif kind == "list":
        item = _converter(shape.member, converters)

        def convert(value: Any) -> Any:
            if type(value) is not list:
                raise _NotPlain
            return [item(entry) for entry in value]

    elif kind == "map":
        entry = _converter(shape.value, converters)

        def convert(value: Any) -> Any:
            if type(value) is not dict:
                raise _NotPlain
            return {key if type(key) is str else refuse(key): entry(item) for key, item in value.items()}

    elif kind == "string":

        def convert(value: Any) -> Any:
            return value if type(value) is str else refuse(value)

    elif kind in ("integer", "long"):

        def convert(value: Any) -> Any:
            return value if type(value) is int else refuse(value)

    elif kind in ("float", "double"):

        def convert(value: Any) -> Any:
            return float(value) if type(value) in (int, float) else refuse(value)

    elif kind == "boolean":

        def convert(value: Any) -> Any:
            return value if type(value) is bool else refuse(value)

    elif kind == "blob":

        def convert(value: Any) -> Any:
            if type(value) is not bytes:
                raise _NotPlain
            return base64.b64encode(value).strip().decode("utf-8")  # as moto's serializer writes blobs

    converters[shape.name] = convert
    return convert


_dynamodb_converters: dict[str, Converter] = {}


def _dynamodb_json(operation: str, result: Any) -> str | None:
    """The body moto's serializer writes for this DynamoDB result, or None to let it write it."""
    if operation not in DYNAMODB_JSON_OPERATIONS:
        return None
    convert = _dynamodb_converters.get(operation)
    if convert is None:
        from moto.core.utils import get_service_model

        shape = get_service_model("dynamodb").operation_model(operation).output_shape
        ignored = DYNAMODB_IGNORED_KEYS.get(operation, frozenset())
        convert = _dynamodb_converters[operation] = _converter(shape, {}, ignored)
    try:
        return json.dumps(convert(result))
    except _NotPlain:
        return None


def _install_dynamodb_json() -> None:
    from moto import settings
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    if getattr(DynamoHandler.serialized, "_plain_json", False):
        return
    original = DynamoHandler.serialized

    @functools.wraps(original)
    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        plain = type(action_result) in (ActionResult, DynamoResult) and not isinstance(result, Exception)
        if plain and not settings.PRETTIFY_RESPONSES:
            body = _dynamodb_json(self._get_action(), result)
            if body is not None:
                headers = {"Content-Type": "application/x-amz-json-1.0"}
                headers.update(self.response_headers)
                return 200, headers, body
        return original(self, action_result)

    serialized._plain_json = True  # type: ignore[attr-defined]
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]


def _install_known_account_backends() -> None:
    from moto.core.base_backend import BackendDict

    original = BackendDict._create_account_specific_backend
    if getattr(original, "_known_accounts", False):
        return

    @functools.wraps(original)
    def create_account_specific_backend(self: Any, account_id: str) -> None:
        if dict.__contains__(self, account_id):  # made, so registered in `_instances` (until a reset empties both)
            return
        original(self, account_id)

    create_account_specific_backend._known_accounts = True  # type: ignore[attr-defined]
    BackendDict._create_account_specific_backend = create_account_specific_backend  # type: ignore[method-assign]


# Distinct update expressions kept parsed (the hub writes a few dozen).
UPDATE_EXPRESSIONS_KEPT = 1024


def _install_update_expression_cache() -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    if getattr(UpdateExpressionParser.make, "_parsed_once", False):
        return
    original = UpdateExpressionParser.make.__func__
    parsed: dict[str, Any] = {}

    @functools.wraps(original)
    def make(cls: Any, expression_str: str) -> Any:
        tree = parsed.get(expression_str)
        if tree is None:
            tree = original(cls, expression_str)
            if len(parsed) >= UPDATE_EXPRESSIONS_KEPT:
                parsed.clear()
            parsed[expression_str] = tree
        return tree

    make._parsed_once = True  # type: ignore[attr-defined]
    UpdateExpressionParser.make = classmethod(make)


# Distinct condition and filter expressions kept parsed (the hub writes a few dozen).
CONDITION_EXPRESSIONS_KEPT = 1024


class _NotKept(Exception):
    """A parsed condition holds something the cache does not know how to fill in again."""


def _condition_plan(parser: Any, leaves: list[Any], root: Any) -> Callable[[Any], Any]:
    """How to make `root` again for another request's names and values: `leaves` are what
    moto's `_parse_paths` made (in the expression's order, names and values looked up), `root`
    the tree moto's later stages built of them. Returns a function of a parser making the same
    tree with that parser's names and values, looked up as `_parse_paths` does."""
    kind = parser.Kind
    node_type = parser.Node

    def leaf_maker(leaf: Any) -> Callable[[Any], Any] | None:
        """None for a leaf holding nothing looked up (kept as it is)."""
        if leaf.kind == kind.EXPRESSION_ATTRIBUTE_VALUE:  # `:v`, from `_lookup_expression_attribute_value`
            if leaf.children:
                raise _NotKept
            nonterminal, node_kind, text = leaf.nonterminal, leaf.kind, leaf.text

            def value(p: Any) -> Any:
                return node_type(nonterminal, node_kind, text, p._lookup_expression_attribute_value(text), [])

            return value
        if leaf.kind == kind.PATH:  # a.b[0].#c: its `#` elements from `_lookup_expression_attribute_name`
            elements = leaf.children
            if leaf.value is not None or any(e.kind != kind.LITERAL or e.children for e in elements):
                raise _NotKept
            named = [e.text.startswith("#") for e in elements]
            if not any(named):
                return None
            nonterminal, node_kind, text = leaf.nonterminal, leaf.kind, leaf.text
            parts = [(e.nonterminal, e.kind, e.text, is_name, e) for e, is_name in zip(elements, named, strict=True)]

            def path(p: Any) -> Any:
                children = [
                    node_type(nt, k, t, p._lookup_expression_attribute_name(t), []) if is_name else e
                    for nt, k, t, is_name, e in parts
                ]
                return node_type(nonterminal, node_kind, text, None, children)

            return path
        if leaf.kind != kind.LITERAL or leaf.children or leaf.value != leaf.text:
            raise _NotKept
        return None

    makers = [leaf_maker(leaf) for leaf in leaves]
    holes = [(i, maker) for i, maker in enumerate(makers) if maker is not None]
    position = {id(leaf): i for i, leaf in enumerate(leaves)}

    Shape = Callable[[list[Any]], Any]

    def shape(node: Any) -> Shape | None:
        """None for a node with nothing looked up beneath it (kept as it is)."""
        i = position.get(id(node))
        if i is not None:
            if makers[i] is None:
                return None
            return lambda filled: filled[i]
        if node.value is not None:  # moto's stages make their nodes without a value
            raise _NotKept
        children = [(child, shape(child)) for child in node.children]
        if all(made is None for _, made in children):
            return None
        nonterminal, node_kind, text = node.nonterminal, node.kind, node.text

        def make(filled: list[Any]) -> Any:
            made_children = [child if made is None else made(filled) for child, made in children]
            return node_type(nonterminal, node_kind, text, None, made_children)

        return make

    made_root = shape(root)

    def again(p: Any) -> Any:
        filled: list[Any] = [None] * len(leaves)
        for i, maker in holes:  # in the expression's order, as `_parse_paths` looks them up
            filled[i] = maker(p)
        return root if made_root is None else made_root(filled)

    return again


def _install_condition_expression_cache() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    if getattr(ConditionExpressionParser.parse, "_parsed_once", False):
        return
    original = ConditionExpressionParser.parse
    plans: dict[str, tuple[Callable[[Any], Any], tuple[str, ...], tuple[str, ...]]] = {}

    def parse_and_keep(self: Any, expression: str) -> Any:
        """moto's own parse, watched: what `_parse_paths` returns and the tree it makes ops of."""
        seen: dict[str, Any] = {}
        parse_paths, make_op_condition = self._parse_paths, self._make_op_condition

        def watched_parse_paths(nodes: Any) -> Any:
            out = parse_paths(nodes)
            seen.setdefault("leaves", list(out))
            return out

        def watched_make_op_condition(node: Any) -> Any:
            seen.setdefault("root", node)  # the first call is parse's, with the whole tree
            return make_op_condition(node)

        self._parse_paths, self._make_op_condition = watched_parse_paths, watched_make_op_condition
        try:
            op = original(self)
        finally:
            del self._parse_paths, self._make_op_condition
        if "leaves" in seen and "root" in seen:
            try:
                again = _condition_plan(self, seen["leaves"], seen["root"])
                if again(self) != seen["root"]:  # made again from the same names and values: the same tree
                    raise _NotKept
            except _NotKept:
                log.debug("condition expression %r is not kept parsed", expression)
            else:
                if len(plans) >= CONDITION_EXPRESSIONS_KEPT:
                    plans.clear()
                root = seen["root"]
                plans[expression] = (again, tuple(self._find_literals(root)), tuple(self._find_expr_attr_values(root)))
        return op

    @functools.wraps(original)
    def parse(self: Any) -> Any:
        expression = self.condition_expression
        if not expression:
            return original(self)
        plan = plans.get(expression)
        if plan is None:
            return parse_and_keep(self, expression)
        again, names_found, values_found = plan
        root = again(self)
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return self._make_op_condition(root)

    parse._parsed_once = True  # type: ignore[attr-defined]
    ConditionExpressionParser.parse = parse  # type: ignore[method-assign]


# Types `copy.deepcopy` returns as they are (its `_deepcopy_atomic`).
_ATOMS = frozenset({type(None), bool, int, float, complex, str, bytes})
_NIL = object()


def _copied_by_state(cls: type) -> bool:
    """Whether `copy.deepcopy` copies an instance of `cls` as `cls.__new__(cls)` given a deep
    copy of the instance's `__dict__` (the default `object.__reduce_ex__(4)`), and nothing else."""
    return (
        not issubclass(cls, type)
        and cls not in copyreg.dispatch_table
        and getattr(cls, "__deepcopy__", None) is None
        and cls.__reduce_ex__ is object.__reduce_ex__
        and cls.__reduce__ is object.__reduce__
        and cls.__getstate__ is object.__getstate__
        and not hasattr(cls, "__setstate__")
        and not hasattr(cls, "__getnewargs_ex__")
        and not hasattr(cls, "__getnewargs__")
        and all("__slots__" not in vars(k) for k in cls.__mro__)
    )


# The attributes moto's update expression nodes hold (`ast_nodes.Node.__init__`).
_NODE_ATTRIBUTES = frozenset({"type", "children", "parent"})
_node_classes: dict[type, bool] = {}  # class -> a node class `_deepcopy` copies itself?


def _is_node_class(cls: type) -> bool:
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    return issubclass(cls, Node) and _copied_by_state(cls)


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy(value, memo)`, sooner for JSON data and update expression trees: dicts,
    lists and the nodes of `moto.dynamodb.parsing.ast_nodes` (plain objects, `_copied_by_state`,
    holding `_NODE_ATTRIBUTES` only) are copied as deepcopy copies them (each object once,
    through `memo`, so what the value shares the copy shares), atoms are kept as deepcopy keeps
    them; any other value goes to `copy.deepcopy`, with the same memo."""
    if memo is None:
        memo = {}
    get, atoms = memo.get, _ATOMS

    def copied(x: Any) -> Any:
        cls: Any = type(x)
        if cls in atoms:
            return x
        y = get(id(x), _NIL)
        if y is not _NIL:
            return y
        if cls is list:
            y = memo[id(x)] = []
            append = y.append
            for element in x:
                append(element if type(element) in atoms else copied(element))
            return y
        if cls is dict:
            y = memo[id(x)] = {}
            for key, element in x.items():
                y[copied(key)] = element if type(element) in atoms else copied(element)
            return y
        is_node = _node_classes.get(cls)
        if is_node is None:
            is_node = _node_classes[cls] = _is_node_class(cls)
        state = x.__dict__ if is_node else None
        if state is None or not _NODE_ATTRIBUTES.issuperset(state):
            return copy.deepcopy(x, memo)
        y = memo[id(x)] = cls.__new__(cls)
        if state:  # deepcopy's `_reconstruct`: a deep copy of the state, then `__dict__.update`
            y.__dict__.update(
                {key: element if type(element) in atoms else copied(element) for key, element in state.items()}
            )
        return y

    return copied(value)


class _ItemSnapshot:
    """What moto's UpdateItem handler makes of its deep copy of the stored item: `to_json()`,
    taken when the copy is (before the update), deep-copied from the item's own JSON."""

    def __init__(self, item: Any) -> None:
        self._attributes = _deepcopy(item.to_json()["Attributes"])

    def to_json(self, root_attr_name: str = "Attributes") -> dict[str, Any]:
        return {root_attr_name: self._attributes}


class _CopyItemsAsJson:
    """Stands in for the `copy` module inside moto's DynamoDB handler: an item's deep copy is
    its `_ItemSnapshot` (the handler reads only `to_json()` of it)."""

    def __init__(self, item_type: type) -> None:
        self._item_type = item_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if type(value) is self._item_type and memo is None:
            return _ItemSnapshot(value)
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


# Set (per thread) while the backend's update_item runs for a table without a stream.
_streamless_update = threading.local()


class _NoStreamImage:
    """Stands in for the `copy` module inside moto's DynamoDB backend (around what was there):
    while `update_item` runs for a table without a stream, the item is not copied for the
    stream's old image (`orig_item`, read only by `table.stream_shard.add`)."""

    def __init__(self, inner: Any, item_type: type) -> None:
        self._inner = inner
        self._item_type = item_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if type(value) is self._item_type and getattr(_streamless_update, "active", False):
            return value
        return self._inner.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _install_update_copies() -> None:
    from moto.dynamodb import models, responses
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.parsing import validators

    backend = models.DynamoDBBackend
    if getattr(backend.update_item, "_copies_less", False):
        return
    validators.deepcopy = _deepcopy  # type: ignore[assignment,attr-defined]
    responses.copy = _CopyItemsAsJson(Item)  # type: ignore[assignment,attr-defined]
    models.copy = _NoStreamImage(models.copy, Item)  # type: ignore[assignment,attr-defined]
    original = backend.update_item

    @functools.wraps(original)
    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        table = self.tables.get(table_name)
        if table is None or table.stream_shard is not None:
            return original(self, table_name, *args, **kwargs)
        before = getattr(_streamless_update, "active", False)
        _streamless_update.active = True
        try:
            return original(self, table_name, *args, **kwargs)
        finally:
            _streamless_update.active = before

    update_item._copies_less = True  # type: ignore[attr-defined]
    backend.update_item = update_item  # type: ignore[method-assign]


# A node type's kind for a traverser's processing keys (`_traversal_kinds`): no Node at all,
# or a Node no key takes; otherwise the kind is the key `process` picks.
_NOT_A_NODE = object()
_UNPROCESSED = object()
# (processing keys, in their order) -> node type -> its kind; emptied when an ABC registers a
# class (`abc.get_cache_token()` changes), since `isinstance` answers may change then.
_traversal_kinds: dict[tuple[type, ...], dict[type, Any]] = {}
_traversal_token: list[object] = [abc.get_cache_token()]


def _forget_kinds_if_abcs_changed() -> None:
    token = abc.get_cache_token()
    if token != _traversal_token[0]:
        _traversal_kinds.clear()
        _descent_classes.clear()
        _traversal_token[0] = token


def _node_kinds(keys: tuple[type, ...]) -> dict[type, Any]:
    _forget_kinds_if_abcs_changed()
    kinds = _traversal_kinds.get(keys)
    if kinds is None:
        kinds = _traversal_kinds[keys] = {}
    return kinds


def _node_kind(kinds: dict[type, Any], keys: tuple[type, ...], cls: type) -> Any:
    """What moto's traverser does with an instance of `cls`: `isinstance(node, Node)`, then the
    first key of the processing map (in its order) the node is an instance of, as `process`."""
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    if not issubclass(cls, Node):
        kind = _NOT_A_NODE
    else:
        kind = next((key for key in keys if issubclass(cls, key)), _UNPROCESSED)
    kinds[cls] = kind
    return kind


# The DepthFirstTraverser methods the quick walk stands in for: a traverser class overriding
# one of them walks with moto's `traverse`.
_TRAVERSER_METHODS = ("traverse_node_recursively", "nodes_to_be_processed", "process")


def _install_quick_traversal() -> None:
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]

    if getattr(DepthFirstTraverser.traverse, "_quick", False):
        return
    original = DepthFirstTraverser.traverse
    base_hook = DepthFirstTraverser.pre_processing_of_child
    base_methods = [getattr(DepthFirstTraverser, name) for name in _TRAVERSER_METHODS]
    classes: dict[type, tuple[bool, bool]] = {}  # traverser class -> (walked quickly?, its own hook?)

    # moto offers no cheaper walk: written by hand, as `traverse_node_recursively` walks.
    @functools.wraps(original)
    def traverse(self: Any, node: Any) -> Any:
        cls = type(self)
        how = classes.get(cls)
        if how is None:
            quick = [getattr(cls, name) for name in _TRAVERSER_METHODS] == base_methods
            how = classes[cls] = (quick, cls.pre_processing_of_child is not base_hook)
        quick, hooked = how
        if not quick:
            return original(self, node)
        processors = self._processing_map()  # moto's asks for it at every node: the same map
        keys = tuple(processors)
        kinds = _node_kinds(keys)
        hook = self.pre_processing_of_child if hooked else None
        get = kinds.get

        def walk(node: Any, child_id: int) -> Any:
            kind = get(type(node))
            if kind is None:
                kind = _node_kind(kinds, keys, type(node))
            if kind is _NOT_A_NODE:
                return node
            parent_node = node.parent
            children = node.children
            if children is not None:
                for i, child_node in enumerate(children):
                    if hook is not None:
                        hook(node, i)
                    if get(type(child_node)) is not _NOT_A_NODE:
                        walk(child_node, i)
            if kind is not _UNPROCESSED:
                node = processors[kind](node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
            return node

        return walk(node, -1)

    traverse._quick = True  # type: ignore[attr-defined]
    DepthFirstTraverser.traverse = traverse


# Node type -> whether `Node.find_clauses` looks into its children (an Expression or an
# UpdateExpressionFunction); emptied with `_traversal_kinds`.
_descent_classes: dict[type, bool] = {}


def _install_quick_find_clauses() -> None:
    from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
        Expression,
        Node,
        UpdateExpressionFunction,
    )

    if getattr(Node.find_clauses, "_quick", False):
        return
    original = Node.find_clauses
    descended = (Expression, UpdateExpressionFunction)
    get_cache_token = abc.get_cache_token

    # moto's, with its two `isinstance` checks (of ABCs) looked up by the child's type.
    @functools.wraps(original)
    def find_clauses(self: Any, clause_types: Any) -> list[Any]:
        if get_cache_token() != _traversal_token[0]:
            _forget_kinds_if_abcs_changed()
        clauses: list[Any] = []
        for child in self.children or []:
            cls = type(child)
            if cls in clause_types:
                clauses.append(child)
            else:
                descend = _descent_classes.get(cls)
                if descend is None:
                    descend = _descent_classes[cls] = issubclass(cls, descended)
                if descend:
                    clauses.extend(child.find_clauses(clause_types))
        return clauses

    find_clauses._quick = True  # type: ignore[attr-defined]
    Node.find_clauses = find_clauses


def _install_dynamodb_action_from_target() -> None:
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler._get_action, "_from_target", False):
        return
    original = DynamoHandler._get_action

    @functools.wraps(original)
    def _get_action(self: Any) -> str:
        target = self.headers.get("X-Amz-Target") or self.headers.get("x-amz-target") or ""
        if target.startswith("DynamoDB_20120810."):
            return str(target.rpartition(".")[2])
        return str(original(self))

    _get_action._from_target = True  # type: ignore[attr-defined]
    DynamoHandler._get_action = _get_action  # type: ignore[method-assign]
