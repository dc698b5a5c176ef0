"""The ``make start`` demo: start.py runs it, control.py drives it from code."""
