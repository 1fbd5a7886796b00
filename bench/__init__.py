"""Benchmarks at agency scale: ``python -m bench <scenario>`` (see README)."""
