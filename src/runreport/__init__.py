"""runreport: static HTML reports of workflow-automation run logs."""

__version__ = "0.1.0"
