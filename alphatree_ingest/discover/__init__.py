"""Discover: which new arXiv papers a night owes, and which of them belong in the tree."""
