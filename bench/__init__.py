"""The benchmarks: scripts run as ``python bench/<name>.py``; each prints its figures and one JSON line."""
