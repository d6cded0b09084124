"""Verdict tests of dynamical_isometry on doctored arrays (issue 19)."""
