"""HTTP routes of the ingest API: canonical events, the exporters' compat paths, runs.

Every route reads its own body (`ingest_api.body`), decodes each item (`ingest_api.items`)
and appends through the one `Submitter`; file imports (`imports`) go through it too, from a
background job. Key management (`keys`) is here too: the write side.
"""

from ingest_api.routes import events, exporter, imports, keys, runs

ROUTERS = (events.router, exporter.router, runs.router, imports.router, keys.router)

__all__ = ["ROUTERS"]
