"""The ingest process: validates what exporters send, appends it to the log, answers.

`ingest_api.app:app` is the ASGI application (`create_app` builds one from settings). Every
route — the canonical `POST /api/v1/events` and the existing exporters' compat paths — ends in
the same append path (`ingest_api.submission`). The contract is described in docs/ingest.md.
"""
