"""The loop's test runs: `report` (one run and its report, the baseline, the run memo),
`targets` (the test ids a change must make pass) and `verify` (targeted, affected, suite).

Every verdict here comes from a real test run in the sandbox; nothing is taken from the model.
"""
