"""``make bench`` (``python -m bench``): the exchange's performance in one run, written to
docs/performance.md. Runs from the checkout; not part of the installed package."""
