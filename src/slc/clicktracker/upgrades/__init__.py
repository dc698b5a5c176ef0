"""GenericSetup upgrade steps, one module per profile version."""
