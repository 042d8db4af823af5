"""The scheduler process: the declarative list of sweep jobs and the lock that elects one runner."""
