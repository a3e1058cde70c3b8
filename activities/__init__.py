"""Every side effect of a pathway: database writes, policy reads, alerts."""
