"""The pure core: plain data in, plain data out. No file, no clock, no Excel library."""
