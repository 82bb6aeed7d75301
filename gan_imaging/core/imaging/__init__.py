"""Safe decoding, colour normalisation, resizing and metadata-free encoding."""
