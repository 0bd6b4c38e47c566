"""DynamoDB Streams to Lambda for the app's `@app.on_dynamodb_record(...)` functions.

On AWS an event source mapping polls the table's stream and invokes the function with a batch
of records once its batching window (`maximum_batching_window_in_seconds`) has passed or the
batch is full. Here `StreamMappings` does the same against moto's (or DynamoDB Local's)
DynamoDB Streams API: every window it reads each shard from where it stopped and invokes the
function with the new records, in the event Lambda builds (`Records[].dynamodb`, `eventName`,
`eventSourceARN`). A failed batch is delivered again (as Lambda retries it), and
`duplicate_deliveries` delivers every batch twice, to exercise idempotency.

The app names its stream by ARN, and the real ARN exists only once the table does: locally the
table is the ARN's `table/<name>` part, read through `<NAME>_TABLE` when the environment
names it (`table/counters` is the table `COUNTERS_TABLE` names).

`InProcessStream` reads a stream inside `moto.mock_aws()` and hands the batch to a callable:
the benchmarks and integration tests run the stream's function in-process with it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from chalice.app import Chalice, DynamoDBEventConfig

from local.lambda_runtime import REGION, LambdaRuntime

log = logging.getLogger("local.streams")

MAX_RETRIES = 2  # what the deployed mapping allows (infra/api.py) before it skips a batch


def table_of(stream_arn: str) -> str:
    """The local table an ARN names: `...:table/counters/stream/...` is `$COUNTERS_TABLE`."""
    name = stream_arn.split(":table/", 1)[-1].split("/", 1)[0]
    return os.environ.get(f"{name.upper()}_TABLE", name)


class ShardReader:
    """Reads one table's stream from where it stopped (new records only, from `start`)."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table
        self.stream_arn = ""
        self._iterators: dict[str, str | None] = {}

    def start(self, dynamodb: Any) -> None:
        """From now on (LATEST). Turns the stream on when a table (e.g. an older DynamoDB Local
        table) has none."""
        table = dynamodb.describe_table(TableName=self.table)["Table"]
        arn = table.get("LatestStreamArn")
        if not arn or not table.get("StreamSpecification", {}).get("StreamEnabled", True):
            log.warning("table %s has no stream; turning one on", self.table)
            spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            arn = dynamodb.update_table(TableName=self.table, StreamSpecification=spec)["TableDescription"][
                "LatestStreamArn"
            ]
        self.stream_arn = str(arn)
        for shard in self._shards():
            self._iterators[shard] = self.client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="LATEST"
            )["ShardIterator"]

    def _shards(self) -> list[str]:
        description = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [str(s["ShardId"]) for s in description.get("Shards", [])]

    def read(self, limit: int) -> list[dict[str, Any]]:
        """New records, oldest first, at most `limit`; a shard that appeared since starts at its beginning."""
        for shard in self._shards():
            if shard not in self._iterators:
                self._iterators[shard] = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        records: list[dict[str, Any]] = []
        for shard, start in list(self._iterators.items()):
            position = start
            while position and len(records) < limit:
                page = self.client.get_records(ShardIterator=position, Limit=limit - len(records))
                position = page.get("NextShardIterator")
                got = page.get("Records", [])
                records.extend(self._lambda_record(r) for r in got)
                if not got:
                    break
            self._iterators[shard] = position
        return records

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """As Lambda hands a stream record to a function (JSON: the time is epoch seconds)."""
        change = dict(record.get("dynamodb", {}))
        at = change.get("ApproximateCreationDateTime", time.time())
        change["ApproximateCreationDateTime"] = at.timestamp() if hasattr(at, "timestamp") else float(at)
        change.setdefault("SizeBytes", 0)
        return {
            "eventID": record.get("eventID", ""),
            "eventName": record.get("eventName", ""),
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": record.get("awsRegion", REGION),
            "dynamodb": change,
            "eventSourceARN": self.stream_arn,
        }


@dataclass
class Mapping:
    name: str  # the function chalice deploys for the handler
    config: DynamoDBEventConfig
    reader: ShardReader
    window: float
    deliveries: int = 0
    failures: int = 0
    last: dict[str, Any] | None = field(default=None)


class StreamMappings:
    """Every `@app.on_dynamodb_record` function, fed from its table's stream once per window."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        endpoint: str,
        *,
        enabled: bool = True,
        duplicate_deliveries: bool = False,
        min_window: float = 0.2,
    ) -> None:
        self.runtime = runtime
        self.enabled = enabled
        self.duplicate_deliveries = duplicate_deliveries
        session = boto3.session.Session()
        self._dynamodb = session.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
        streams = session.client("dynamodbstreams", endpoint_url=endpoint, region_name=REGION)
        self.mappings = [
            Mapping(
                source.name,
                source,
                ShardReader(streams, table_of(source.stream_arn)),
                max(min_window, float(source.maximum_batching_window_in_seconds or 0)),
            )
            for source in stream_sources(runtime.app)
        ]
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if not self.enabled:
            return
        for mapping in self.mappings:
            await asyncio.to_thread(mapping.reader.start, self._dynamodb)
            self._loops.append(asyncio.create_task(self._loop(mapping)))

    async def _loop(self, mapping: Mapping) -> None:
        while True:
            await asyncio.sleep(mapping.window)
            try:
                records = await asyncio.to_thread(mapping.reader.read, mapping.config.batch_size)
            except Exception:
                log.exception("stream of %s could not be read", mapping.reader.table)
                continue
            if records:
                await self.deliver(mapping, records)

    async def deliver(self, mapping: Mapping, records: list[dict[str, Any]]) -> None:
        """One batch, retried as Lambda retries a failed batch; twice with `duplicate_deliveries`."""
        for _ in range(2 if self.duplicate_deliveries else 1):
            for attempt in range(1 + MAX_RETRIES):
                outcome = await self.runtime.invoke(
                    mapping.name, {"event": {"Records": records}}, label=f"stream {mapping.name}"
                )
                mapping.deliveries += 1
                mapping.last = {"ok": outcome.ok, "records": len(records), "error": outcome.error}
                if outcome.ok:
                    break
                mapping.failures += 1
                log.warning("stream %s: batch of %d failed (%s)", mapping.name, len(records), outcome.error)
                if attempt == MAX_RETRIES:
                    log.error("stream %s: batch of %d skipped after %d retries", mapping.name, len(records), attempt)

    async def stop(self) -> None:
        for loop in self._loops:
            loop.cancel()
        if self._loops:
            await asyncio.wait(self._loops, timeout=5)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "name": m.name,
                "table": m.reader.table,
                "windowSeconds": m.window,
                "deliveries": m.deliveries,
                "failures": m.failures,
                "last": m.last,
            }
            for m in self.mappings
        ]


def stream_sources(app: Chalice) -> list[DynamoDBEventConfig]:
    return [s for s in app.event_sources if isinstance(s, DynamoDBEventConfig)]


class InProcessStream:
    """A table's stream inside `moto.mock_aws()`, delivered to `handle` when asked (`deliver`):
    what Lambda would hand the stream's function after its batching window."""

    def __init__(self, table: str, handle: Callable[[list[dict[str, Any]]], Any]) -> None:
        session = boto3.session.Session()
        # botocore names a per-account stream host that moto's mock does not answer; its regional one it does.
        regional = f"https://streams.dynamodb.{REGION}.amazonaws.com"
        self.reader = ShardReader(session.client("dynamodbstreams", region_name=REGION, endpoint_url=regional), table)
        self.reader.start(session.client("dynamodb", region_name=REGION))
        self.handle = handle
        self.delivered: list[list[dict[str, Any]]] = []

    def deliver(self, limit: int = 1000) -> int:
        """Hands every record written since the last call to `handle` as one batch; returns how many."""
        records = self.reader.read(limit)
        if records:
            self.delivered.append(records)
            self.handle(records)
        return len(records)
