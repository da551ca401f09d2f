"""Counting that must hold across every worker and host: failed logins, and the counts
behind the public form's rate limit, kept in the service's own database."""
