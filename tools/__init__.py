"""Developer tools that are not part of the pipeline (``make mutation``)."""
