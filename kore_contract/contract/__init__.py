"""Layer 0, what everything else derives from: the OpenAPI document (shipped in this package),
the rule catalogue, the formats, the fixture (the account under test) and strict JSON reading."""
