"""Reading papers, chunking them to fit the encoder and embedding them."""
