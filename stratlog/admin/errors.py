"""Why an admin request is refused; the admin app maps each class to its HTTP status.

`JobNotFound` is a 404, `JobNotRunningHere` a 409 (a job can only be cancelled by the process
running it), `JobStoreUnavailable` a 503. A job's own failure is not an error of the request:
it is recorded in the job (`status` failed, `error`), which the client polls.
"""


class AdminError(Exception):
    """Base of the admin app's refusals; `code` is the stable machine-readable name."""

    code = "bad_request"


class JobNotFound(AdminError):
    code = "not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no admin job {job_id!r}")


class JobNotRunningHere(AdminError):
    code = "not_running_here"


class JobStoreUnavailable(AdminError):
    code = "store_unavailable"
