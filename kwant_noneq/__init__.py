"""kwant-noneq: interacting, nonequilibrium transport on Kwant systems."""
__version__ = "0.1.0.dev0"
