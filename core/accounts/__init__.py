"""People and signing in: users and the team, passwords and login throttling, browser sessions,
rate limits and the real client address behind proxies."""
