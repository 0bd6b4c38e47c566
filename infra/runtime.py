"""Everything the infrastructure takes from the runtime code, imported in this one place.

The stacks derive the tables from the PynamoDB models and name each table's environment
variable as the runtime reads it. When the models move (e.g. to `chalicelib/store/`), only
the imports below change.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.platform.auth import TENANT_CLAIM
from chalicelib.platform.config import TABLE_ENV_VARS
from chalicelib.store.tables import TABLES

ROOT = Path(__file__).resolve().parent.parent
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
FRONTEND_DIST = ROOT / "frontend" / "dist"

# The Cognito custom attribute the runtime reads an agent's tenant from (`custom:tenant`).
TENANT_ATTRIBUTE = TENANT_CLAIM.removeprefix("custom:")

__all__ = ["CHALICE_CONFIG", "FRONTEND_DIST", "ROOT", "TABLES", "TABLE_ENV_VARS", "TENANT_ATTRIBUTE", "TENANT_CLAIM"]
