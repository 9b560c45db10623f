"""Writes for the practice app, one concern per module: threads and posts, votes and adoption,
follows, notifications, events, moderation."""
