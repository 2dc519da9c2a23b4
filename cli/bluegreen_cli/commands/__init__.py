"""One function per command: parse input, call the library, render. Library imports stay inside them."""
