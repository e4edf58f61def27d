"""Bulk import (DESIGN §4): files converted to events and appended through the ingest path.

A file is an export of the older exporter (`.sqlite`: `sqlite_export`, `export_run`) or
NDJSON(.gz) of canonical events (`ndjson_file`); `source` tells which from the content.
`job` appends its items in batches through the same `Submitter` as every ingest route, so
importing a file twice appends nothing, and refused items go to the quarantine. `store`
keeps one record per import (progress, then the report) in the log store's `imports` table.
Files arrive through `POST /api/ingest/upload` (`upload`, run in the background by
`service`), `stratlog import FILE` (`local`) or a watched folder (`folder`).
"""
