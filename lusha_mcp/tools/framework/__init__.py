"""The tool framework: how a tool is declared, registered, priced, approved, run and rendered."""
