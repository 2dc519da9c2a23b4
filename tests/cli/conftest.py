from tests.scenarios.conftest import cutover  # noqa: F401  (the same fixture for CLI tests)
