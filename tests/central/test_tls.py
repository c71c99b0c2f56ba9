"""TLS verification for real: the sandbox over HTTPS with a private CA (openssl)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralOffline
from kiosk.central.sandbox.server import start_sandbox_thread
from kiosk.devices.virtual.cards import ssc_card_data
from kiosk.personas import persona
from tests.fixtures.strict import skip_or_fail

CARD = persona("normal")["ssc"]["card_number"]


@pytest.fixture
def https_sandbox(tmp_path, central_settings, central_secrets):
    if shutil.which("openssl") is None:
        skip_or_fail("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    handle = start_sandbox_thread(central_settings, port=0, db_path=tmp_path / "tls.db",
                                  secrets=central_secrets, tls=(cert, key))
    yield handle, cert
    handle.stop()


def _client(settings, secrets, url, ca_bundle=""):
    return CentralClient(dataclasses.replace(settings, central=dataclasses.replace(
        settings.central, base_url=url, ca_bundle=ca_bundle, retries=0)), secrets)


def test_https_with_the_configured_ca_bundle_works(https_sandbox, central_settings,
                                                   central_secrets):
    handle, cert = https_sandbox
    assert handle.url.startswith("https://")
    with _client(central_settings, central_secrets, handle.url, str(cert)) as client:
        assert client.card_status(ssc=ssc_card_data("normal")).state == "active"


def test_untrusted_certificate_is_refused_as_offline(https_sandbox, central_settings,
                                                     central_secrets):
    handle, _ = https_sandbox
    with _client(central_settings, central_secrets, handle.url) as client:
        with pytest.raises(CentralOffline) as err:
            client.card_status(ssc=ssc_card_data("normal"))
    assert "TLS" in err.value.detail and not err.value.maybe_applied
