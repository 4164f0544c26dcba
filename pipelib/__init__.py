"""Library code behind the DVC stages: each stage script in ``stages/`` is a thin shell over it."""
