"""The on-disk index: FAISS vectors, BM25, the chunk and paper store, versioned and crash-safe."""
