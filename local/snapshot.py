"""Makes moto's in-memory DynamoDB survive a restart of the local stack.

`<data-dir>/dynamodb.json` holds every table's definition (keys, indexes, TTL) and items
(DynamoDB JSON). It is written
- every `interval` seconds when a handler invocation has finished since the last write
  (and at least every `full_check_interval` seconds for writes made around the hub),
  only if the content changed,
- once more on a clean shutdown,
always to a temporary file that is fsynced and renamed over the old one, so the file on
disk is either the previous or the new snapshot, never a torn one.

Each dump is taken while no handler runs (`InvocationGate`), so it never holds half of a
multi-table write. Scanning is fine here: this is local tooling, never a request path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local.ids import iso_seconds
from local.lambda_runtime import InvocationGate

log = logging.getLogger("local.snapshot")

FORMAT = "flow-hub-local-dynamodb"
VERSION = 1


def _encode_value(value: dict[str, Any]) -> dict[str, Any]:
    """An AttributeValue with binary made JSON-safe (base64)."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(v).decode("ascii") for v in inner]}
    if kind == "M":
        return {"M": {k: _encode_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_encode_value(v) for v in inner]}
    return {kind: inner}


def _decode_value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _decode_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_decode_value(v) for v in inner]}
    return {kind: inner}


def _definition(description: dict[str, Any], ttl: dict[str, Any]) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "KeySchema": description["KeySchema"],
        "AttributeDefinitions": description["AttributeDefinitions"],
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in description.get(key) or []
        ]
        if indexes:
            definition[key] = indexes
    if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl.get("AttributeName"):
        definition["TimeToLive"] = ttl["AttributeName"]
    return definition


class DynamoSnapshot:
    def __init__(self, client: Any, path: Path) -> None:
        self.client = client
        self.path = path

    def table_names(self) -> list[str]:
        names: list[str] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.client.list_tables(**kwargs)
            names.extend(page.get("TableNames", []))
            if not page.get("LastEvaluatedTableName"):
                return sorted(names)
            kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]

    def dump(self) -> dict[str, Any]:
        tables: dict[str, Any] = {}
        for name in self.table_names():
            description = self.client.describe_table(TableName=name)["Table"]
            ttl = self.client.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
            items: list[dict[str, Any]] = []
            kwargs: dict[str, Any] = {"TableName": name, "ConsistentRead": True}
            while True:
                page = self.client.scan(**kwargs)
                items.extend({k: _encode_value(v) for k, v in item.items()} for item in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            key_names = [k["AttributeName"] for k in description["KeySchema"]]
            items.sort(key=lambda item: json.dumps([item.get(k) for k in key_names], sort_keys=True))
            tables[name] = {"definition": _definition(description, ttl), "items": items}
        return {"format": FORMAT, "version": VERSION, "tables": tables}

    @staticmethod
    def content_hash(data: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(data["tables"], sort_keys=True).encode("utf-8")).hexdigest()

    def write(self, data: dict[str, Any]) -> None:
        """Atomically replaces the snapshot file (temp file, fsync, rename, fsync dir)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = dict(data, savedAt=iso_seconds(time.time()))
        fd, tmp = tempfile.mkstemp(prefix=".dynamodb-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, sort_keys=True, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"{self.path} is not a version-{VERSION} {FORMAT} snapshot")
        return data

    def restore(self, data: dict[str, Any]) -> dict[str, int]:
        """Puts every saved item back (creating a table the app did not create); returns counts."""
        existing = set(self.table_names())
        counts: dict[str, int] = {}
        for name, table in data["tables"].items():
            if name not in existing:
                self._create(name, table["definition"])
            items = [{k: _decode_value(v) for k, v in item.items()} for item in table["items"]]
            for start in range(0, len(items), 25):
                requests: dict[str, Any] = {
                    name: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
                }
                while requests:
                    out = self.client.batch_write_item(RequestItems=requests)
                    requests = out.get("UnprocessedItems") or {}
            counts[name] = len(items)
        return counts

    def _create(self, name: str, definition: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": definition["KeySchema"],
            "AttributeDefinitions": definition["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if definition.get(key):
                kwargs[key] = definition[key]
        self.client.create_table(**kwargs)
        self.client.get_waiter("table_exists").wait(TableName=name)
        if definition.get("TimeToLive"):
            self.client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": definition["TimeToLive"]}
            )


class Snapshotter:
    """Writes `DynamoSnapshot`s in the background while the hub runs."""

    def __init__(
        self,
        snapshot: DynamoSnapshot,
        gate: InvocationGate,
        *,
        interval: float = 5.0,
        full_check_interval: float = 60.0,
        gate_wait: float = 0.25,
        max_misses: int = 3,
    ) -> None:
        self.snapshot = snapshot
        self.gate = gate
        self.interval = interval
        self.full_check_interval = full_check_interval
        self.gate_wait = gate_wait
        self.max_misses = max_misses
        self._misses = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot")
        self._seen_invocations = -1
        self._last_hash: str | None = None
        self._last_full_check = 0.0
        self._task: asyncio.Task[None] | None = None
        self.writes = 0

    def prime(self, data: dict[str, Any] | None) -> None:
        """Remembers what is on disk so an unchanged store is not rewritten."""
        if data is not None:
            self._last_hash = DynamoSnapshot.content_hash(data)

    def start(self) -> None:
        """Periodic snapshots every `interval` seconds; an interval of 0 (or less) means none:
        only the final one, on a clean exit (a benchmark's choice, so no dump pauses a handler)."""
        if self.interval > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            due = self.gate.completed != self._seen_invocations
            due = due or time.monotonic() - self._last_full_check >= self.full_check_interval
            if not due:
                continue
            try:
                await self.save(final=False)
            except Exception:
                log.exception("snapshot failed; retrying in %.0f s", self.interval)

    async def save(self, *, final: bool) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._save, final)

    def _save(self, final: bool) -> bool:
        """True when a new snapshot was written."""
        # A final snapshot waits for every running handler; a periodic one gives up after
        # `gate_wait` (handlers keep the priority) and retries on the next tick, until it
        # has missed `max_misses` ticks in a row: then it waits for a quiet moment.
        patient = final or self._misses >= self.max_misses
        if not self.gate.acquire_exclusive(None if patient else self.gate_wait):
            self._misses += 1
            return False
        self._misses = 0
        try:
            seen = self.gate.completed
            data = self.snapshot.dump()
        finally:
            self.gate.release_exclusive()
        self._seen_invocations = seen
        self._last_full_check = time.monotonic()
        digest = DynamoSnapshot.content_hash(data)
        if digest == self._last_hash:
            return False
        self.snapshot.write(data)
        self._last_hash = digest
        self.writes += 1
        log.info("snapshot written: %s", ", ".join(f"{n}={len(t['items'])}" for n, t in data["tables"].items()))
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.save(final=True)
        self._executor.shutdown(wait=True)
