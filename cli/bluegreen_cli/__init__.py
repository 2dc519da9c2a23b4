"""The `bluegreen` command line: parse input, call the library, render events and results."""
