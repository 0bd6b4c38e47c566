"""Support command: hub counters, drift sweep, pressure on each lane, next move, launch decision and mode."""
