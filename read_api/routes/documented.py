"""The route class every read router uses: the OpenAPI summary is the docstring's first line,
so the one-line docstring each route must have is also what the API documentation shows."""

import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute


class DocumentedRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its endpoint's docstring."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None:
            kwargs["summary"] = (inspect.getdoc(endpoint) or "").split("\n", 1)[0] or None
        super().__init__(path, endpoint, **kwargs)
