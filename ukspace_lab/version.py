"""The model version: part of every result, cache key and report.

Bumped whenever a change to the model or its data moves any number.
"""

MODEL_VERSION = "0.3.0"
