"""The spaCy pipeline: layout, element ruler, note abbreviations, counts, signatures, assertion."""
