"""Jurisdictions (the union tree), enterprises and people."""
