"""`make demo`: a whole campaign played through the public HTTP API of a running system."""
