"""The session screen's widgets, one job each."""
