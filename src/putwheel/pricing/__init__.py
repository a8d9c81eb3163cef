"""Pure NumPy/numba pricing kernels: Black-Scholes-Merton price and Greeks, implied vol, American models. Arrays in, arrays out."""
