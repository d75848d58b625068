"""Daily and weekly digests (issue 23): written from the desk's own records, stored as sent, delivered
in the app, by email and to group robots."""
