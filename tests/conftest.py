"""Suite-wide rules: in CI nothing is skipped, browser tests included."""

from __future__ import annotations

import os

import pytest


def pytest_runtest_makereport(item, call):
    """Turn a skip into a failure when running in CI (CI=true): skipped tests prove nothing."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return None
    if call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception):
        reason = str(call.excinfo.value)
        call.excinfo = None
        return pytest.TestReport.from_item_and_call(item, _FailedCall(call, f"skipped in CI: {reason}"))
    return None


class _FailedCall:
    """A CallInfo stand-in that reports a failure with a message."""

    def __init__(self, call, message: str):
        try:
            raise AssertionError(message)
        except AssertionError:
            self.excinfo = pytest.ExceptionInfo.from_current()
        self.when = call.when
        self.start = call.start
        self.stop = call.stop
        self.duration = call.duration
        self.result = None
