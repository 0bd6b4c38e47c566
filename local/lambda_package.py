"""The Lambda package unpacked as the Python runtime sees it: `/var/task` (the zip) and the
runtime's own boto3/botocore beside it. Used by the artifact test (`tests/infra`) and the
cold-start benchmark (`bench.import_time`), which run the exact zip a deploy uploads."""

from __future__ import annotations

import zipfile
from pathlib import Path

# What the Lambda Python runtime has on its path besides the package (boto3 and its dependencies).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def runtime_dir(base: Path) -> Path:
    """The Lambda runtime's own packages (boto3, botocore and their dependencies), linked
    from this virtualenv: the only third-party code the artifact may rely on being there."""
    import boto3 as b3

    site = Path(b3.__file__).resolve().parent.parent
    base.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        link = base / name
        if not link.exists():
            link.symlink_to(site / name)
    return base


def unpack(package: Path, target: Path) -> Path:
    """The zip extracted into `target` (once: an existing `target` is taken as it is)."""
    if not target.exists():
        with zipfile.ZipFile(package) as z:
            z.extractall(target)
    return target
