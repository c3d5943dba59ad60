"""Documentation <-> spec traceability: read the published pages, map their fields to the spec,
find the documentation's defects (D..)."""
