"""Outputs: what the product hands to people (feedback workbooks, reports)."""
