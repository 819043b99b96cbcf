"""The benchmark and the soak run, run from the checkout as ``python -m scripts.bench`` and
``python -m scripts.soak`` (``make bench``, ``make soak``); the soak reuses the benchmark's
process and measurement code by importing ``scripts.bench``."""
