"""Secure suggestions: how often a completion builds SQL, a shell command or eval input from a value by
formatting, naive FIM against daima on the same model (`python -m benchmarks.secure`)."""
