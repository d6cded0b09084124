"""Verdict tests of bn_scale_invariance on doctored arrays (issue 19)."""
