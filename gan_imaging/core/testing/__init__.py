"""Test material made in code: hostile-input corpus, PNG and ICC builders. Pure: stdlib,
numpy and Pillow only, so benchmarks and tests can use it without Django."""
