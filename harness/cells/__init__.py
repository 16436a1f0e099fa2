"""One cell (variant, device, dtype, case): its `Verdict` and the command that replays it. Shared by `run`, which
makes them, and `reports` and `upgrade`, which read them back, so that neither imports the other."""
