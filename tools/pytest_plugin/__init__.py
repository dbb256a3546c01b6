"""A folder put on the test process's import path: it holds only `agent_helper_asserts`."""
