"""Domain operations: plain functions over a session and an explicit actor; they flush, never commit."""
