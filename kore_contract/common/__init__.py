"""Layer 0: helpers every layer may use (text made safe to show, whole-file writes, JUnit
XML). Standard library only; nothing here imports the rest of the package."""
