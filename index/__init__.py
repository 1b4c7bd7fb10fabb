"""Jauap retrieval layer: corpus → chunks → FAISS + BM25 → cited, extractive answers."""
