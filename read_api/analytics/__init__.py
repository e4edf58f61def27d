"""Serving run analytics (trades, positions, equity, metrics) the projector computed."""
