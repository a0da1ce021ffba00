"""Claims for the pre-bill queue: the claim model, HL7 v2 / FHIR conversion, claim-level rules, decisions and the
audit trail. ``rtaudit hook`` and ``rtaudit serve`` sit on top; everything here calls the engine's public API."""
