"""tracegrad's command line, on top of `autograd`, `nn`, `optim` and `viz`.

`tracegrad` (the console script) and `python -m tracegrad` run `tracegrad.cli.main`.
Nothing below this package imports it: the arrows run autograd <- nn, optim, viz <- tracegrad.
"""
