"""`flask` command-line groups."""
