"""Retention: cohorts, repeat buying, lifecycle stages, churn risk, lifetime value, win-back."""
