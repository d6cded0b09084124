"""Verdict tests of soft_confusion on doctored arrays (issue 19)."""
