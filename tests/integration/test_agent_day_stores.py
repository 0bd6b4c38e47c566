"""The agent-day DynamoDB stores on moto: what the desk and directory tables hold after each
write, the transactions that keep shortcuts unique and a rating counted once, the customer and
phone indexes — and that none of the agent's day reads ever sends a Scan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient

from chalicelib.live.customers import CustomerContext
from chalicelib.platform.auth import identity_hash
from chalicelib.platform.config import table_name
from chalicelib.store import keys
from chalicelib.store.desk import DynamoDeskStore
from chalicelib.store.desk_models import CannedReply
from chalicelib.store.directory import DynamoDirectoryStore
from chalicelib.store.ports import ShortcutTaken, WriteConflict
from tests.integration.conftest import WIDGET_KEY, Harness, Work

REGION = "us-east-1"


@pytest.fixture
def operations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every DynamoDB operation sent while the test runs."""
    seen: list[str] = []
    original = BaseClient._make_api_call

    def record(self: Any, operation: str, params: Any) -> Any:
        seen.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    yield seen


def raw_items(kind: str, pk_name: str, pk: str) -> list[dict[str, Any]]:
    """The table's items of one partition, as DynamoDB holds them."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    out = ddb.query(
        TableName=table_name(kind),
        KeyConditionExpression=f"{pk_name} = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return list(out)


def test_canned_replies_keep_their_shortcuts_unique(hub: Harness, work: Work) -> None:
    _, ana = work.agent("ana")
    canned = hub.built.canned
    hello = canned.create(ana, "Greeting", "hello", "Hi {customer.name}")
    bye = canned.create(ana, "Bye", "bye", "Bye!")
    store = DynamoDeskStore(REGION)
    taken = CannedReply(
        "global",
        keys.canned_sk("cr_other"),
        reply_id="cr_other",
        title="x",
        shortcut="hello",
        text="x",
        created_at=0,
        created_by="a",
        updated_at=0,
        updated_by="a",
    )
    with pytest.raises(ShortcutTaken):
        store.create_canned(taken)
    items = {i["sk"]["S"]: i for i in raw_items("desk", "tenant", "global")}
    assert items["SHORTCUT#hello"]["reply_id"]["S"] == hello.reply_id
    assert "CANNED#cr_other" not in items  # the refused reply left nothing behind

    canned.change(ana, bye.reply_id, {"shortcut": "later"})
    items = {i["sk"]["S"]: i for i in raw_items("desk", "tenant", "global")}
    assert "SHORTCUT#bye" not in items and items["SHORTCUT#later"]["reply_id"]["S"] == bye.reply_id
    with pytest.raises(ShortcutTaken):
        current = store.get_canned("global", bye.reply_id)
        assert current is not None
        moved = type(current).from_raw_data(current.serialize())
        moved.shortcut = "hello"
        store.update_canned(moved, current)
    stale = store.get_canned("global", hello.reply_id)
    assert stale is not None
    canned.change(ana, hello.reply_id, {"title": "Hi"})
    with pytest.raises(WriteConflict):
        store.delete_canned(stale)  # changed since it was read
    canned.delete(ana, hello.reply_id)
    left = {i["sk"]["S"] for i in raw_items("desk", "tenant", "global")}
    assert left == {f"CANNED#{bye.reply_id}", "SHORTCUT#later"}
    assert [r.shortcut for r in canned.list("global")] == ["later"]


def test_a_rating_and_its_day_are_one_transaction(hub: Harness, work: Work) -> None:
    customer, _ = hub.connect_customer()
    conversation = hub.start(customer)
    who = work.customer_actor(customer)
    store = DynamoDeskStore(REGION)
    assert store.record_rating("global", conversation, "cu_someone_else", 5, None, 1.0, "2026-06-01") is False
    assert store.record_rating("global", conversation, who.id, 4, "ok", 1.0, "2026-06-01") is True
    assert store.record_rating("global", conversation, who.id, 4, "ok", 2.0, "2026-06-01") is False
    [day] = store.csat_days("global", "2026-05-26", "2026-06-01")
    assert (int(day.ratings), int(day.score_sum), int(day.score_4), int(day.score_5)) == (1, 4, 1, 0)
    meta = work.store.conversation("global", conversation)
    assert (meta.csat_rating, meta.csat_comment) == (4, "ok")
    assert store.csat_days("global", "2026-06-02", "2026-06-08") == []


def test_profiles_terms_and_the_customer_indexes(hub: Harness, work: Work, operations: list[str]) -> None:
    secret = hub.built.widgets.rotate_identity_secret("global")
    signed = hub.built.widgets.open_session(
        WIDGET_KEY,
        None,
        context=CustomerContext(name="Kim Andersson", email="kim@example.com", page_url="https://shop.example/"),
        identity=("user-42", identity_hash(secret, "user-42")),
    )
    assert signed.verified and signed.customer_id == keys.verified_customer_id("global", "user-42")
    cid = "kim="
    hub.lane.identify_and_bind(cid, {"session": signed.token})
    conversation = hub.start(cid)
    _, ana = work.agent("ana")
    hub.built.callbacks.request(work.customer_actor(cid), "+46701234567", None, "asap", None, conversation)
    hub.built.tickets.create(ana, "Broken zipper", conversation)

    directory = DynamoDirectoryStore(REGION)
    profile = directory.get_profile("global", signed.customer_id)
    assert profile is not None and profile.last_conversation_id == conversation and profile.verified
    terms = raw_items("directory", "pk", keys.search_term_pk("global", "name", "kim"))
    assert [t["sk"]["S"] for t in terms] == [f"kim#{signed.customer_id}"]
    # A second device: the same customer, the same open conversation.
    again = hub.built.widgets.open_session(
        WIDGET_KEY, None, context=CustomerContext(), identity=("user-42", identity_hash(secret, "user-42"))
    )
    assert again.conversation_id == conversation

    operations.clear()
    panel = hub.built.customers.view("global", signed.customer_id)
    assert panel.customer.verified and panel.customer.page is not None
    assert [c.id for c in panel.conversations] == [conversation]
    assert [c.phone for c in panel.callbacks] == ["+46701234567"]
    assert [t.subject for t in panel.tickets] == ["Broken zipper"]
    for query in ("kim", "kim@exa", "+46 70 123 45 67", conversation, signed.customer_id):
        results = hub.built.search.find("global", query).results
        assert results, query
    assert "Scan" not in operations and set(operations) <= {"GetItem", "Query"}

    # A stale revision is refused: two tabs racing on one profile cannot leave stale terms.
    before = directory.get_profile("global", signed.customer_id)
    assert before is not None
    hub.built.widgets.open_session(
        WIDGET_KEY,
        None,
        context=CustomerContext(name="Kim A."),
        identity=("user-42", identity_hash(secret, "user-42")),
    )
    with pytest.raises(WriteConflict):
        directory.save_profile(before, before, [], [])
