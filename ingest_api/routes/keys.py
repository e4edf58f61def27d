"""API key management over HTTP: `/api/admin/keys` (list, create, revoke), admin scope.

The same operations as `stratlog keys …`, for operators who reach the service but not its
store. A created key is in the answer to its creation only; lists and revocations show its
public id and what it may do, never the key. A revocation holds on every process at once
(keys are looked up per request).
"""

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from ingest_api.responses import ErrorBody, json_response
from ingest_api.routes.guarded import guarded_router
from schema.security.credentials import ApiKeyRecord, CredentialStore
from schema.security.http import PrincipalDep, get_authenticator
from schema.security.principals import Scope

router = guarded_router("keys", "admin")

KEYS = "/api/admin/keys"


class NewKeyRequest(BaseModel):
    """The key to create."""

    scope: Scope = Field(description="ingest (exporters), read (dashboards) or admin.")
    name: str = Field(min_length=1, max_length=200, description="What or who the key is for.")


class KeyInfo(BaseModel):
    """A key as listed: never the key itself."""

    key_id: str
    name: str
    scope: Scope
    created_utc: datetime
    created_by: str
    revoked_utc: datetime | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> "KeyInfo":
        return cls(
            key_id=record.key_id,
            name=record.name,
            scope=record.scope,
            created_utc=record.created_utc,
            created_by=record.created_by,
            revoked_utc=record.revoked_utc,
        )


class CreatedKey(KeyInfo):
    """A key just created, with the key: store it now, it is never shown again."""

    key: str = Field(description="Send as `X-API-Key` or `Authorization: Bearer`.")


class KeyList(BaseModel):
    items: list[KeyInfo]


async def get_credentials(request: Request) -> CredentialStore:
    store = get_authenticator(request).store
    if store is None:
        raise HTTPException(HTTPStatus.CONFLICT, "authentication is off: keys are not used")
    return store


CredentialsDep = Annotated[CredentialStore, Depends(get_credentials)]


def _responses(ok: int, model: type[BaseModel], text: str, *errors: int) -> dict[int | str, Any]:
    texts = {
        400: "The body cannot be read as JSON text.",
        404: "No key with this id.",
        413: "The body is over the size limit.",
        409: "Authentication is off (--insecure-local).",
        503: "The credentials cannot be read or written; retry after Retry-After.",
    }
    documented: dict[int | str, Any] = {ok: {"model": model, "description": text}}
    for status in errors:
        documented[status] = {"model": ErrorBody, "description": texts[status]}
    return documented


@router.get(KEYS, responses=_responses(200, KeyList, "Every key, oldest first.", 409, 503))
async def list_keys(credentials: CredentialsDep) -> Response:
    """Every API key, revoked ones included: ids, names, scopes, never the keys."""
    return json_response(KeyList(items=[KeyInfo.of(r) for r in await credentials.list_keys()]))


@router.post(
    KEYS,
    status_code=HTTPStatus.CREATED,
    responses=_responses(
        201, CreatedKey, "Created; the only answer with the key.", 400, 409, 413, 503
    ),
)
async def create_key(
    body: NewKeyRequest, request: Request, credentials: CredentialsDep, caller: PrincipalDep
) -> Response:
    """Create an API key; the answer is the only time the key is shown."""
    created = await credentials.create_key(body.scope, body.name, created_by=caller.subject)
    record = created.record
    get_authenticator(request).audit.key_created(record.key_id, record.scope, by=caller.subject)
    answer = CreatedKey(**KeyInfo.of(record).model_dump(), key=created.key)
    return json_response(answer, status_code=HTTPStatus.CREATED)


@router.delete(
    KEYS + "/{key_id}",
    responses=_responses(200, KeyInfo, "Revoked (or already revoked).", 404, 409, 503),
)
async def revoke_key(
    key_id: Annotated[str, Path(max_length=64)],
    request: Request,
    credentials: CredentialsDep,
    caller: PrincipalDep,
) -> Response:
    """Revoke an API key: refused from the next request on, by every process."""
    record = await credentials.revoke_key(key_id)
    if record is None:
        raise HTTPException(HTTPStatus.NOT_FOUND, f"no key {key_id}")
    get_authenticator(request).audit.key_revoked(key_id, by=caller.subject)
    return json_response(KeyInfo.of(record))
