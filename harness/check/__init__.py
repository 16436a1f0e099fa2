"""`brian2-harness check`: any Brian2 script on several devices, compared exactly or statistically."""
