"""stratlog's composition root: the `stratlog` command and the embedded default it serves.

The process packages (`ingest_api`, `projector`, `read_api`, `replay`) never import this
package; it wires them together for one-process use (DESIGN §2).
"""
