"""Everything that reads or writes Excel files."""
