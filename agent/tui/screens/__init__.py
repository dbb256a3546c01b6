"""Modal screens: approval, help, session picker, outcome, question."""
