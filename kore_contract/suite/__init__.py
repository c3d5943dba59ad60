"""The contract as a pytest suite: `pytest --pyargs kore_contract.suite`.

One test per rule and call, parametrized by case; ids carry the rule id and the case
(`test_S4_lname_lowercased[create-edge-48-chars]`). Options: see `pytest --help`
under "kore-contract".
"""
