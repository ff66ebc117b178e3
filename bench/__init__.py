"""`make bench`: field reports per second end to end, against the machine's own ceilings.

See docs/benchmarks.md for the method and the latest results.
"""
