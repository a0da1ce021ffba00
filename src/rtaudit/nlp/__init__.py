"""The spaCy pipeline: layout, note abbreviations, element ruler, counts, signatures, assertion."""
