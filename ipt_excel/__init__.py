"""ipt_excel: run an improvement plan's update loop through Excel."""

__version__ = "0.1.0"
