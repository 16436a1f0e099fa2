"""Execution plumbing below both commands (`run` and `check`) and the devices: file locks, the build cache, the
cache folders, process sessions. It knows nothing of models, devices or verdicts."""
