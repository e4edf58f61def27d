"""Replay, rebuild and verify: the log is the truth, and operators can prove it."""
