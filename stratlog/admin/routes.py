"""`/api/admin`: start rebuild, verify and replay jobs, and follow them (admin scope only).

A start answers 202 with the job's record (`Location` is where to poll it); the job runs in
this process and rewrites its record with its progress every second, then with its outcome.
`POST /api/admin/jobs/{id}/cancel` stops a job this process runs; committed work is kept (a
rebuild started again resumes from it). docs/operations.md, "Admin routes", walks through it.
"""

from http import HTTPStatus
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from ingest_api.responses import ErrorBody, json_response
from projector.settings import ProjectorSettings
from replay.replayer import ReplayJob
from schema.security.http import require
from schema.security.principals import Principal
from stratlog.admin.api_models import (
    AdminJobList,
    AdminJobReport,
    RebuildRequest,
    ReplayRequest,
)
from stratlog.admin.model import JobKind, JobRecord
from stratlog.admin.service import AdminJobs
from stratlog.admin.work import rebuild_body, replay_body, verify_body

router = APIRouter(prefix="/api/admin", tags=["admin"])

JOB = "/api/admin/jobs/{job_id}"


async def get_jobs(request: Request) -> AdminJobs:
    return cast(AdminJobs, request.app.state.jobs)


async def get_settings(request: Request) -> ProjectorSettings:
    return cast(ProjectorSettings, request.app.state.settings)


JobsDep = Annotated[AdminJobs, Depends(get_jobs)]
SettingsDep = Annotated[ProjectorSettings, Depends(get_settings)]
AdminDep = Annotated[Principal, Depends(require("admin"))]

_ERRORS = {
    404: "No admin job with this id.",
    409: "A job of this kind runs in this process already, or the job runs in another one.",
    503: "The store is unavailable; retry later.",
}


def _responses(
    ok: int, text: str, *errors: int, model: type[Any] = AdminJobReport
) -> dict[int | str, Any]:
    documented: dict[int | str, Any] = {ok: {"model": model, "description": text}}
    for status in errors:
        documented[status] = {"model": ErrorBody, "description": _ERRORS[status]}
    return documented


def _started(record: JobRecord) -> Response:
    return json_response(
        AdminJobReport.of(record),
        status_code=HTTPStatus.ACCEPTED,
        headers={"Location": JOB.format(job_id=record.job_id)},
    )


@router.post("/rebuild", status_code=202, responses=_responses(202, "Started.", 409, 503))
async def start_rebuild(
    jobs: JobsDep,
    settings: SettingsDep,
    principal: AdminDep,
    request: Annotated[RebuildRequest | None, Body()] = None,
) -> Response:
    """Rebuild the projections from the log (or one run's rows) as a job; 202."""
    run_id = request.run_id if request else None
    body = rebuild_body(settings, run_id)
    return _started(await jobs.start(JobKind.REBUILD, {"run_id": run_id}, principal.subject, body))


@router.post("/verify", status_code=202, responses=_responses(202, "Started.", 409, 503))
async def start_verify(jobs: JobsDep, settings: SettingsDep, principal: AdminDep) -> Response:
    """Rebuild into a scratch store and compare it with the live one, as a job; 202."""
    body = verify_body(settings)
    return _started(await jobs.start(JobKind.VERIFY, {}, principal.subject, body))


@router.post("/replay", status_code=202, responses=_responses(202, "Started.", 409, 503))
async def start_replay(
    request: ReplayRequest, jobs: JobsDep, settings: SettingsDep, principal: AdminDep
) -> Response:
    """Replay a run's events to another stratlog, as a job; 202."""
    key = request.api_key.get_secret_value() if request.api_key else None
    job = ReplayJob(
        request.run_id,
        to=str(request.to).rstrip("/"),
        api_key=key,
        batch_size=request.batch_size,
        speed=request.speed,
    )
    body = replay_body(settings, job)
    return _started(await jobs.start(JobKind.REPLAY, request.arguments(), principal.subject, body))


@router.get("/jobs", responses=_responses(200, "Newest first.", 503, model=AdminJobList))
async def list_jobs(
    jobs: JobsDep, _: AdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Response:
    """The latest admin jobs of every admin process, newest first."""
    records = await jobs.recent(limit)
    return json_response(AdminJobList(jobs=[AdminJobReport.of(r) for r in records]))


@router.get("/jobs/{job_id}", responses=_responses(200, "The job.", 404, 503))
async def get_job(job_id: str, jobs: JobsDep, _: AdminDep) -> Response:
    """An admin job: its progress while it runs, then its outcome."""
    return json_response(AdminJobReport.of(await jobs.get(job_id)))


@router.post("/jobs/{job_id}/cancel", responses=_responses(200, "Cancelled.", 404, 409, 503))
async def cancel_job(job_id: str, jobs: JobsDep, _: AdminDep) -> Response:
    """Cancel a job this process runs (committed work is kept); the job once stopped."""
    return json_response(AdminJobReport.of(await jobs.cancel(job_id)))
