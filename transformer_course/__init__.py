"""Tooling for the transformer-architecture course: the nbgrader lifecycle, step by step."""

ASSIGNMENT = "transformer_architecture"
NOTEBOOK = "exercises"
