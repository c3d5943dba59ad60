"""kore-contract inside other tools: the pytest plugin (entry point `pytest11`) and the
schemathesis hooks (`SCHEMATHESIS_HOOKS=kore_contract.integrations.schemathesis_hooks`)."""
