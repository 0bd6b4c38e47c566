"""Compatibility only: `tests/unit/test_infra.py` (owned by the infra work) still imports
`TABLE_ENV_VARS` from here. Settings live in `chalicelib/platform/config.py`; delete this file
when that test moves."""

from chalicelib.platform.config import TABLE_ENV_VARS

__all__ = ["TABLE_ENV_VARS"]
