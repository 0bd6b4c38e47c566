"""$connect: only verified credentials bind a connection; the tenant comes from the credential."""

from __future__ import annotations

import time

import jwt
import pytest

from chalicelib.platform.errors import Unauthorized
from tests.integration.conftest import WIDGET_KEY, Harness


def test_agent_binding_uses_verified_claims(hub: Harness) -> None:
    cid = hub.connect_agent("ana", tenant="acme")
    conn = hub.lane.connections.store.get_connection(cid, hub.clock.now())
    assert conn is not None and conn.tenant == "acme" and conn.role == "agent" and conn.name == "Ana"


@pytest.mark.parametrize("query", [{}, {"token": ""}, {"token": "not-a-jwt"}, {"session": "nope"}])
def test_missing_or_malformed_credentials_are_refused(hub: Harness, query: dict[str, str]) -> None:
    with pytest.raises(Unauthorized):
        hub.lane.identify_and_bind("x1=", query)
    assert hub.lane.connections.store.get_connection("x1=", 0) is None


def test_expired_agent_token_is_refused(hub: Harness) -> None:
    token = hub.agent_token("ana")
    # Past the token's own expiry: moto stamps it with the wall clock, which under load is a
    # second or more later than the test clock's start.
    hub.clock.set(float(jwt.decode(token, options={"verify_signature": False})["exp"]) + 1)
    with pytest.raises(Unauthorized, match="expired"):
        hub.lane.identify_and_bind("x2=", {"token": token})
    assert hub.lane.connections.store.get_connection("x2=", 0) is None


def test_tampered_agent_token_is_refused(hub: Harness) -> None:
    token = hub.agent_token("ana")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["custom:tenant"] = "acme"
    forged = jwt.encode(claims, "attacker-secret-attacker-secret!", algorithm="HS256", headers={"kid": "dummy"})
    with pytest.raises(Unauthorized):
        hub.lane.identify_and_bind("x3=", {"token": forged})
    header, _payload, signature = token.split(".")
    other_payload = jwt.utils.base64url_encode(jwt.utils.force_bytes(__import__("json").dumps(claims))).decode()
    with pytest.raises(Unauthorized):
        hub.lane.identify_and_bind("x3=", {"token": f"{header}.{other_payload}.{signature}"})


def test_token_for_another_app_client_is_refused(hub: Harness) -> None:
    other = hub.cognito.create_user_pool_client(
        UserPoolId=hub.pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    hub.agent_token("ana")
    out = hub.cognito.initiate_auth(
        ClientId=other, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "ana", "PASSWORD": "Passw0rd!x"}
    )
    with pytest.raises(Unauthorized, match=r"(?i)audience"):
        hub.lane.identify_and_bind("x4=", {"token": out["AuthenticationResult"]["IdToken"]})


def test_widget_session_expires_and_foreign_signatures_fail(hub: Harness) -> None:
    session = hub.widgets.open_session(WIDGET_KEY, None, "Kim")
    hub.clock.advance(hub.lane.settings.widget_session_ttl + 1)
    with pytest.raises(Unauthorized, match="expired"):
        hub.lane.identify_and_bind("x5=", {"session": session.token})
    forged = jwt.encode(
        {
            "iss": "flow-hub",
            "aud": "flow-hub-widget",
            "sub": "cu_x",
            "tenant": "global",
            "exp": int(time.time()) + 999999,
        },
        "some-other-key-some-other-key-!!",
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized):
        hub.lane.identify_and_bind("x6=", {"session": forged})


def test_reload_keeps_the_customer_only_within_its_tenant(hub: Harness) -> None:
    first = hub.widgets.open_session(WIDGET_KEY, None, "Kim")
    again = hub.widgets.open_session(WIDGET_KEY, first.token, None)
    assert again.customer_id == first.customer_id
    elsewhere = hub.widgets.open_session("wk_acme_unit", first.token, None)
    assert elsewhere.customer_id != first.customer_id and elsewhere.tenant == "acme"


def test_agent_connect_makes_agent_reachable_and_last_disconnect_unreachable(hub: Harness) -> None:
    watcher = hub.connect_agent("bo")
    ana = hub.connect_agent("ana")
    [event] = [e for e in hub.sender.take(watcher) if e["type"] == "presence" and e["agent"]["name"] == "Ana"]
    assert event["type"] == "presence" and event["reachable"] is True
    second_tab = hub.connect_agent("ana")
    hub.lane.disconnect(ana)
    assert hub.sender.take(watcher) == []  # still connected in another tab
    hub.lane.disconnect(second_tab)
    [gone] = [e for e in hub.sender.take(watcher) if e["type"] == "presence"]
    assert gone["agent"]["name"] == "Ana" and gone["reachable"] is False
    # Each write others hear about moves the version on: the leaving one beats the arrival.
    assert gone["version"] > event["version"] >= 1
