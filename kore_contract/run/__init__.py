"""The contract run: the HTTP client (timeouts, rate cap, ledger), planning of cases, the
response checks, the lifecycle, the schemathesis phase, the runner and one session that the
`kore-contract test` command and the pytest plugin share."""
