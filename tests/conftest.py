"""Test configuration: Hypothesis runs derandomized, so every run draws the same cases."""

from hypothesis import settings

settings.register_profile("chainrule", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("chainrule")
