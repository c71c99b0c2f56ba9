"""Every operation of the committed OpenAPI document, sent a signed body that is not JSON,
over real HTTP to the sandbox: the answer is a problem+json document with a status the
document lists for that operation, matching its Problem schema, and signed like every
reply. (FastAPI's own "There was an error parsing the body" 400 was undocumented and not
problem+json: 11 of 12 operations gave it to a fuzzer.)"""

from __future__ import annotations

import json

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.sandbox.openapi import OPENAPI_FILE
from kiosk.central.signing import H_REPLY_SIGNATURE, reply_is_authentic, sign_request

TERMINAL = "T-DEMO-0001"
CENTRAL_BACKENDS = ("sandbox", "centre")  # the centre serves the same gate and routes
DOCUMENT = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
OPERATIONS = sorted((path, method) for path, item in DOCUMENT["paths"].items()
                    for method in item)
BODIES = {
    "not UTF-8": b"\xff\xfe\x00garbage\x80",
    "text": b"this is not json",
    "cut JSON": b'{"card_number": "X0000',
    "form": b"card_number=X00000019",
}


def test_the_document_lists_the_operations() -> None:
    assert len(OPERATIONS) >= 11 and all(m == "post" for _, m in OPERATIONS)


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_a_body_that_is_not_json_gets_a_documented_problem(sandbox, central_secrets,
                                                          path: str, method: str,
                                                          kind: str) -> None:
    body = BODIES[kind]
    key = central_secrets.terminal_key
    headers = sign_request(key, TERMINAL, method.upper(), path, body,
                           idempotency_key="nonjson-" + "0" * 16)
    resp = requests.post(sandbox.url + path, data=body, timeout=5,
                         headers={"Content-Type": "application/json", **headers})
    documented = DOCUMENT["paths"][path][method]["responses"]
    assert str(resp.status_code) in documented, (resp.status_code, resp.text)
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith(s.PROBLEM_CONTENT_TYPE)
    problem = s.Problem.model_validate_json(resp.content)
    assert problem.status == resp.status_code and problem.code == "validation_error"
    content = documented[str(resp.status_code)]["content"]
    assert content[s.PROBLEM_CONTENT_TYPE]["schema"]["$ref"].endswith("/Problem")
    assert reply_is_authentic(key, headers["X-Kiosk-Nonce"], resp.status_code, resp.content,
                              resp.headers.get(H_REPLY_SIGNATURE))
