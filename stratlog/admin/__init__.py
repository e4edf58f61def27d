"""Admin jobs over HTTP: rebuild, verify and replay, started by an admin, watched as they run.

The routes (`routes.py`) live in the composition root because a job composes the projector
(rebuild, verify) and replay, which no process package may import together. `stratlog serve`
mounts them beside ingest and read; the Procfile's `admin` process serves them alone.
"""
