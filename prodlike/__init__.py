"""The production topology on this machine, without Docker (scripts/prodlike; see topology.py)."""
