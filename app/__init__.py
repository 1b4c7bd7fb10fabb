"""The application layer: what every front-end does with a question, once (imports run index ← app ← api/bot)."""
