"""Rewards for workers who report real hazards, under configurable profiles."""
