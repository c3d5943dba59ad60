"""Contract checks on real traffic: the validating proxy (`kore-contract proxy`) and recorded
exchanges (`kore-contract validate --traffic` over HAR 1.2 or JSON Lines), checked in order
with the state the contract run keeps (issue 13)."""
