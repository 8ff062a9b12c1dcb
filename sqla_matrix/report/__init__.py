"""The report: merge per-backend results, render Markdown, HTML and a terminal summary."""
