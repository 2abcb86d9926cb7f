"""neurodyn: a lab environment for nonlinear neural dynamics."""

__version__ = "0.1.0"
