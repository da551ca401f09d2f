"""Annual safety training and emergency drill duties, and the check of them."""
