"""Checklists and the evaluator: plain findings in, verdicts out (no spaCy here)."""
