"""DynamoDB access for rate-limit windows (AP-L1): one conditional counter update per event."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.store.dynamo_errors import CONDITION_FAILED, error_code
from chalicelib.store.models import LimitWindow


class DynamoLimitStore:
    def count(self, key: str, limit: int, expires_at: float) -> bool:
        """Adds one to the window `key` if it is below `limit`; False (nothing added) when not."""
        try:
            LimitWindow(key).update(
                actions=[
                    LimitWindow.hits.add(1),
                    LimitWindow.expires_at.set(datetime.fromtimestamp(expires_at, UTC)),
                ],
                condition=LimitWindow.hits.does_not_exist() | (LimitWindow.hits < limit),
            )
        except UpdateError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False
            raise
        return True
