"""colorbot colorizer: the residual-encoder CNN and full-resolution colorization (imports nothing of the project)."""
