"""The drills' figures: printed as each drill runs (``-s``) and summed up after the run."""

import pytest

FIGURES = pytest.StashKey[list]()


@pytest.fixture
def figure(request):
    """Return ``record(text)``: one figure of this drill, for the closing summary."""

    def record(text: str) -> None:
        print(f"[drill] {request.node.name}: {text}")
        request.config.stash.setdefault(FIGURES, []).append((request.node.name, text))

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures = config.stash.get(FIGURES, [])
    if figures:
        terminalreporter.section("drill figures")
        for name, text in figures:
            terminalreporter.write_line(f"{name}: {text}")
