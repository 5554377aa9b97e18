"""The benchmarks: scripts run from the checkout as ``python3 -m bench.<name>``; each prints its
figures and one JSON line."""
