"""Verdict tests of untrained_cs_recovery on doctored arrays (issue 19)."""
