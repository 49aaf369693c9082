"""Generative answer writers: the bundled local model (llama.cpp) or any OpenAI-compatible endpoint."""
