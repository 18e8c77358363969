"""Use cases. Each takes the session (and the actor where it matters)
explicitly, raises domain errors, and owns its commit. Views and CLI
commands call the same services."""
