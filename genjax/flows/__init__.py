"""Normalizing flows: NICE, RealNVP, Glow, neural spline flows, MAF and IAF, with exact
log-determinants; the family registers itself as 'flow'."""
from genjax.flows import method  # noqa: F401  (registers the family)
