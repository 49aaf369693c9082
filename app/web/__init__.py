"""The web UI (`citewise serve`): chat with cited, streamed answers, the corpus, and the latest evaluation."""
