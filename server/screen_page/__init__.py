"""The venue screen page: one HTML file, styles and script inline, no external assets."""
