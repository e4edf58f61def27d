"""The read API: serves projections to dashboards."""
