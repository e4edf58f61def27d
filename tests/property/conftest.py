"""Hypothesis settings shared by the property tests: no per-example deadline, because these
shared 2-core machines stall unpredictably (DESIGN §9.1) and a timing flake is not a finding;
the per-test timeout of pytest-timeout still bounds a run."""

from hypothesis import settings

settings.register_profile("stratlog", deadline=None)
settings.load_profile("stratlog")
