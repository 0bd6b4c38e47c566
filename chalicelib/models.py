"""Compatibility only: `tests/unit/test_infra.py` (owned by the infra work) still imports
`TABLES` from here. The models live in `chalicelib/store/`; delete this file when that test moves."""

from chalicelib.store.tables import TABLES

__all__ = ["TABLES"]
