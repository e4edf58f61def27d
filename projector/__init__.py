"""The projector: turns the event log into normalized tables, trades and metrics."""
