"""Banner core tests: geometry, contrast, budgets, line breaking, prices (no screenshots)."""
