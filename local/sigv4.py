"""Who may call `@connections`: only the hub's own functions.

On AWS, `PostToConnection` needs an IAM identity allowed `execute-api:ManageConnections`.
Locally the hub gives its functions per-run random credentials (`FunctionCredentials`,
never written anywhere but the functions' environment and the ready file, mode 0600) and
the gateway accepts a management request only when its SigV4 signature verifies with them.
botocore's own signer recomputes the signature; only reading the `Authorization` header
is hand-written.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"
MAX_CLOCK_SKEW = 300.0  # seconds, as AWS allows
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class FunctionCredentials:
    access_key_id: str
    secret_access_key: str = ""

    def __repr__(self) -> str:  # never print the secret
        return f"FunctionCredentials({self.access_key_id!r})"

    @classmethod
    def generate(cls) -> FunctionCredentials:
        alphabet = string.ascii_uppercase + string.digits
        return cls("AKIA" + "".join(secrets.choice(alphabet) for _ in range(16)), secrets.token_urlsafe(30))


def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: FunctionCredentials,
    region: str,
    now: datetime | None = None,
) -> str | None:
    """None when the request is signed with `credentials` for `execute-api` in `region`;
    otherwise why not. `url` is the URL as the client sent it (scheme, Host, raw path)."""
    headers = {name.lower(): value for name, value in headers.items()}
    match = _AUTHORIZATION.match(headers.get("authorization", ""))
    if match is None:
        return "Missing or malformed SigV4 Authorization header"
    if not hmac.compare_digest(match["key"], credentials.access_key_id):
        return "The security token included in the request is invalid"
    if (match["region"], match["service"]) != (region, SERVICE):
        return f"Credential should be scoped to {region}/{SERVICE}"
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "Missing or malformed X-Amz-Date"
    if match["date"] != amz_date[:8] or abs(((now or datetime.now(UTC)) - signed_at).total_seconds()) > MAX_CLOCK_SKEW:
        return "Signature expired or not yet valid"
    names = match["signed"].split(";")
    if "host" not in names or any(name not in headers for name in names):
        return "A signed header is missing"
    request = AWSRequest(method=method, url=url, data=body, headers={name: headers[name] for name in names})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(credentials.access_key_id, credentials.secret_access_key), SERVICE, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, match["signature"]):
        return "The request signature we calculated does not match the signature you provided"
    return None
