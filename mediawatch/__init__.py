"""mediawatch: feeds and saved pages in, clean labelled articles in DuckDB out."""

__version__ = "0.1.0"
