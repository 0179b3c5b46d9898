"""One module per command: each reads what it needs once, calls the core and excel/, and
writes through the workspace layer. The CLI calls exactly one function here per command."""
