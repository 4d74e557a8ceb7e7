def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "real_server: starts a real Prefect server and `chiso serve` as subprocesses"
        " (about a minute); deselect with -m 'not real_server' for a quick loop",
    )
