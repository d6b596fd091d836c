"""Bulk data: arrays grown in loops, sparse matrices made dense, per-row model calls."""
