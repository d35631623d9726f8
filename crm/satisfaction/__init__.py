"""Satisfaction and loyalty from surveys: scores, NPS, indices, reliability, drivers, comments."""
