"""The notification outbox: written in the transaction of the event that causes it,
read by users through the inbox, delivered through channels after commit."""
