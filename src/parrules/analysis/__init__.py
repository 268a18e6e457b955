"""Analyses over score cards and rulesets: pure functions returning frozen values."""
