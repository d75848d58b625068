"""The time-driven rules: the timer and its steps, the policy behind them, first-contact clocks,
the public pool, working-time arithmetic, and one timer across several processes."""
