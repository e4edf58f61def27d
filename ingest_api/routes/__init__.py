"""HTTP routes of the ingest API: canonical events, the exporters' compat paths, runs.

Every route reads its own body (`ingest_api.body`), decodes each item (`ingest_api.items`)
and appends through the one `Submitter`.
"""

from ingest_api.routes import events, exporter, runs

ROUTERS = (events.router, exporter.router, runs.router)

__all__ = ["ROUTERS"]
