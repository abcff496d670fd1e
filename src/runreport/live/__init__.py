"""Live sites: `runreport watch` (rebuild as inputs change) and `runreport serve` (HTTP, push)."""
