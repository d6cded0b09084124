"""Verdict tests of channel_norm_gradients on doctored arrays (issue 19)."""
