"""The layer functions of `nn.functional` beyond the original core (normalization,
embedding, transposed / 1-D convolution, extra pooling, resampling, channel dropout), one
file per family; `nn.functional` re-exports them."""
