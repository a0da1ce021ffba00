"""The report: the JSON contract's model and its renderers."""
