"""`brian2-harness fuzz`: Hypothesis-generated Brian2 models run across devices, shrunk to minimal scripts."""
