"""Settings read from the environment: table names, endpoints and limits.

Table names always come from the environment (set per stage in `.chalice/config.json`
and by the local stack); the runtime never guesses one.
"""

from __future__ import annotations

import os
from functools import lru_cache

from msgspec import Struct

TABLE_ENV_VARS = {
    "connections": "CONNECTIONS_TABLE",
    "conversations": "CONVERSATIONS_TABLE",
    "messages": "MESSAGES_TABLE",
    "presence": "PRESENCE_TABLE",
    "tenants": "TENANTS_TABLE",
    "callbacks": "CALLBACKS_TABLE",
    "tickets": "TICKETS_TABLE",
    "counters": "COUNTERS_TABLE",
    "history": "HISTORY_TABLE",
    "limits": "LIMITS_TABLE",
    "desk": "DESK_TABLE",
    "directory": "DIRECTORY_TABLE",
}


class ConfigError(RuntimeError):
    pass


def table_name(kind: str) -> str:
    var = TABLE_ENV_VARS[kind]
    try:
        return os.environ[var]
    except KeyError:
        raise ConfigError(f"environment variable {var} (the {kind} table name) is not set") from None


class Settings(Struct, frozen=True):
    region: str
    stage: str
    user_pool_id: str
    app_client_id: str
    jwks_url: str
    widget_secret_id: str
    ws_management_endpoint: str | None
    # Seconds a connection item lives: API Gateway closes every connection after 2 h.
    connection_ttl: int = 2 * 3600 + 300
    # Widget session tokens are valid for a day; a reload within that keeps the customer.
    widget_session_ttl: int = 24 * 3600
    # An agent is reachable while its last heartbeat is younger than this.
    presence_window: int = 90

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @classmethod
    def from_env(cls) -> Settings:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        pool = os.environ.get("COGNITO_USER_POOL_ID", "")
        jwks = os.environ.get("COGNITO_JWKS_URL") or (
            f"https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json"
        )
        return cls(
            region=region,
            stage=os.environ.get("HUB_STAGE", "dev"),
            user_pool_id=pool,
            app_client_id=os.environ.get("COGNITO_APP_CLIENT_ID", ""),
            jwks_url=jwks,
            widget_secret_id=os.environ.get("WIDGET_SECRET_ID", ""),
            ws_management_endpoint=os.environ.get("WS_MANAGEMENT_ENDPOINT") or None,
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
