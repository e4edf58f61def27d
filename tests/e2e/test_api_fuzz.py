"""schemathesis against a real `stratlog serve`: the read and ingest APIs' OpenAPI documents
are valid, and every request generated from them (valid and invalid), sent with an admin key,
is answered as they document it: no 5xx, a status code and body the document declares, the
declared content type. Sent without credentials (valid requests only), every operation is
refused with a 401 and its challenge, as documented, except the login and, until a first user
exists, registration.

The read server holds both exporters' recorded sessions and two canonical ones, projected;
generated ids are partly replaced with the ones it holds (tests/e2e/fuzz_servers.py), so
found rows are answered too, not only 404s. The live stream never ends, so it is left out
of the generated run and checked for its refusals alone. The ingest server is a separate
one: what ingest appends must not change what the read run reads.

Bounded for CI: a few examples per operation, derandomized (the same cases every run); about
two minutes in all on 2 shared cores.
"""

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ingest_api.app import app as ingest_app
from read_api.app import app as read_app
from tests.e2e.fuzz_servers import KnownValues, Served, land_sessions, serving

pytestmark = pytest.mark.slow

STREAM = "/api/v1/stream"
# Every answer as documented. Not `negative_data_rejection`: both APIs take more than their
# documents promise (a Unix time for a date-time, null for an optional field), on purpose.
# Not `positive_data_acceptance`: a cursor this API did not issue is a string to the
# document, yet a 422; so is a bucket width out of range.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# Without credentials every answer is the same refusal: a couple of valid requests each.
FEW = settings(BOUNDED, max_examples=2)
# Operations anyone may call (the document declares no security for them).
PUBLIC = {"POST /api/auth/login"}
# Open without credentials until a deployment has its first user (read_api/routes/auth.py).
FIRST_USER = {"POST /api/auth/register"}
# The documents as the apps generate them (the servers must serve these very documents).
DOCUMENTS = {
    "read": (read_app.openapi(), "/openapi.json"),
    "ingest": (ingest_app.openapi(), "/openapi/ingest.json"),
}
KNOWN = KnownValues()
# Explicit configurations, so that no schemathesis.toml found on the way changes the run.
# No generated credentials: the key is the test's, and a flood of made-up keys from one
# address would be slowed down (429) by the brake on failed authentications.
NO_CREDENTIALS = {"with-security-parameters": False}
read_api = schemathesis.openapi.from_dict(
    DOCUMENTS["read"][0], config=schemathesis.Config.from_dict({"generation": NO_CREDENTIALS})
).exclude(path=STREAM)
read_api.hook("flatmap_case")(lambda _context, case: KNOWN.substitute(case))
# The coverage phase would post every corner of every event type (3,500 bodies to
# /api/v1/events alone); generated bodies, valid and not, are enough here.
NO_COVERAGE = {"phases": {"coverage": {"enabled": False}}, "generation": NO_CREDENTIALS}
ingest_api = schemathesis.openapi.from_dict(
    DOCUMENTS["ingest"][0], config=schemathesis.Config.from_dict(NO_COVERAGE)
)
# Valid requests only: an invalid body may be refused (400/422) before credentials are read.
POSITIVE = {**NO_COVERAGE, "generation": {**NO_CREDENTIALS, "mode": "positive"}}
anonymous = {
    name: schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(POSITIVE))
    for name, (document, _url) in DOCUMENTS.items()
}


@pytest.fixture(scope="module")
def read_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server holding the sessions, projected; `KNOWN` holds their ids meanwhile."""
    with (
        serving(tmp_path_factory.mktemp("fuzz-read")) as served,
        httpx.Client(base_url=served.url, headers=served.headers, timeout=30) as client,
    ):
        KNOWN.learn(client, land_sessions(client))
        yield served


@pytest.fixture(scope="module")
def ingest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("fuzz-ingest")) as served:
        yield served


@pytest.mark.parametrize("api", ["read", "ingest"])
def test_each_api_serves_a_valid_openapi_document_that_documents_every_operation(
    api: str, request: pytest.FixtureRequest
) -> None:
    document, url = DOCUMENTS[api]
    served: Served = request.getfixturevalue(f"{api}_server")
    assert httpx.get(served.url + url).json() == document
    schemathesis.openapi.from_dict(_resolved_token_urls(document, served.url)).validate()
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        summary = operation.get("summary", "")
        assert summary.endswith("."), where  # a sentence from the docstring
        assert "\n" not in summary, where
        responses = operation["responses"]
        answers = [code for code in responses if code.startswith("2")]
        assert answers, where
        if path not in (STREAM, "/metrics"):  # an event stream, Prometheus text
            assert all("schema" in _json_content(responses[code]) for code in answers), where
        refusals = [code for code in responses if code[0] in "45"]
        assert all("schema" in _json_content(responses[code]) for code in refusals), where
        if any(p["name"] == "min_position" for p in operation.get("parameters", ())):
            assert "409" in responses, f"{where} takes min_position"


@read_api.parametrize()
@BOUNDED
def test_the_read_api_answers_generated_requests_as_documented(
    case: schemathesis.Case[Any], read_server: Served
) -> None:
    case.call_and_validate(read_server.url, headers=read_server.headers, checks=CHECKS, timeout=30)


@ingest_api.parametrize()
@BOUNDED
def test_the_ingest_api_answers_generated_requests_as_documented(
    case: schemathesis.Case[Any], ingest_server: Served
) -> None:
    case.call_and_validate(
        ingest_server.url, headers=ingest_server.headers, checks=CHECKS, timeout=30
    )


@pytest.mark.parametrize("api", ["read", "ingest"])
def test_only_the_documented_public_operations_need_no_credentials(api: str) -> None:
    document = DOCUMENTS[api][0]
    public = {
        f"{method.upper()} {path}"
        for method, path, operation in _operations(document)
        if not operation.get("security", document.get("security"))
    }

    assert public <= PUBLIC


@anonymous["read"].parametrize()
@FEW
def test_the_read_api_refuses_requests_without_credentials_as_documented(
    case: schemathesis.Case[Any], read_server: Served
) -> None:
    _assert_refused_without_credentials(case, read_server)


@anonymous["ingest"].parametrize()
@FEW
def test_the_ingest_api_refuses_requests_without_credentials_as_documented(
    case: schemathesis.Case[Any], ingest_server: Served
) -> None:
    _assert_refused_without_credentials(case, ingest_server)


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ({"run_id": "no-such-run"}, {}, 404),
        ({"run_id": ""}, {}, 422),
        ({"wait": "perhaps"}, {}, 422),
        ({}, {"Last-Event-ID": "x" * 65}, 422),
        ({}, {"Last-Event-ID": "not-one-of-ours"}, 422),
    ],
)
def test_the_stream_refuses_bad_parameters_at_once_as_documented(
    read_server: Served, query: dict[str, str], headers: dict[str, str], status: int
) -> None:
    stream = schemathesis.openapi.from_dict(DOCUMENTS["read"][0])[STREAM]["GET"]
    case = stream.Case(query=query, headers={**read_server.headers, **headers})
    response = case.call(read_server.url, timeout=5)
    assert response.status_code == status, response.text
    case.validate_response(response, checks=CHECKS)


def _assert_refused_without_credentials(case: schemathesis.Case[Any], served: Served) -> None:
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    response = case.call(served.url, timeout=30)  # the stream too: refused before it starts
    if operation not in PUBLIC | FIRST_USER:
        assert response.status_code == 401, f"{operation}: {response.text}"
        [challenge] = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer"), challenge
    case.validate_response(response, checks=CHECKS)


def _resolved_token_urls(document: dict[str, Any], base: str) -> dict[str, Any]:
    """`document` with its OAuth2 token URLs resolved against the server: OpenAPI 3.1 lets
    URLs be relative references, its JSON schema (what `validate` checks) wants a URI."""
    resolved = copy.deepcopy(document)
    for scheme in resolved.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            if "tokenUrl" in flow:
                flow["tokenUrl"] = urljoin(base, flow["tokenUrl"])
    return resolved


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def _json_content(response: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = response.get("content", {}).get("application/json", {})
    return content
