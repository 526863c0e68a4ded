"""The HTTP SMS gateway, against httpx's MockTransport (the provider is outside the machine):
the request it sends, its credentials, and how each kind of failure is reported."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from nongso.alerts import channels
from nongso.alerts.channels import AlertSettings, DeliveryError, HttpSmsGateway

URL = "https://sms.example.vn/api/v1/messages"
TEXT = "CẢNH BÁO: Mặn 1,60 ‰ tại Vàm Kênh: nguy hại cho sầu riêng"


class Provider:
    """Answers with ``status`` and keeps every request it got."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json={"id": "msg-1"})


def gateway(provider: Provider | None = None, *, url: str = URL,
            handler: Callable[[httpx.Request], httpx.Response] | None = None) -> HttpSmsGateway:
    answer = handler or provider
    assert answer is not None
    transport = httpx.MockTransport(answer)
    return HttpSmsGateway(url, "key-123", timeout=5.0, transport=transport)


def test_the_request_is_a_json_post_with_the_bearer_key() -> None:
    provider = Provider()
    gateway(provider).send("0900 000 123", TEXT)
    (request,) = provider.requests
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.headers["Authorization"] == "Bearer key-123"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content.decode("utf-8")) == {"to": "0900 000 123", "text": TEXT}


@pytest.mark.parametrize(("status", "permanent"), [
    (400, True),   # the provider refuses the message or the number: retrying will not help
    (401, True),   # wrong API key
    (403, True),
    (408, False),  # timeout on the provider's side
    (429, False),  # too many requests: later
    (500, False),
    (503, False),
])
def test_an_error_status_is_a_delivery_failure(status: int, permanent: bool) -> None:
    provider = Provider(status)
    with pytest.raises(DeliveryError) as failed:
        gateway(provider).send("0900 000 123", TEXT)
    assert str(failed.value) == f"SMS gateway answered {status}"
    assert failed.value.permanent is permanent
    assert len(provider.requests) == 1  # the gateway itself never retries


def test_an_unreachable_provider_is_a_failure_to_retry() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(DeliveryError) as failed:
        gateway(handler=refuse).send("0900 000 123", TEXT)
    assert str(failed.value) == "SMS gateway unreachable: connection refused"
    assert failed.value.permanent is False


def test_no_url_is_a_permanent_failure_without_a_request() -> None:
    provider = Provider()
    with pytest.raises(DeliveryError) as failed:
        gateway(provider, url="").send("0900 000 123", TEXT)
    assert str(failed.value) == "SMS gateway URL missing (NONGSO_ALERTS_SMS_URL)"
    assert failed.value.permanent is True
    assert provider.requests == []


def test_the_settings_choose_the_http_gateway() -> None:
    settings = AlertSettings(sms_gateway="http", sms_url=URL, sms_api_key="key-456")
    sms = channels.default_channels(settings)["sms"]
    assert isinstance(sms, channels.SmsChannel)
    assert isinstance(sms.gateway, HttpSmsGateway)
    assert (sms.gateway.url, sms.gateway.api_key) == (URL, "key-456")
