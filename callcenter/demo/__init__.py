"""``callcenter demo``: a seeded shop driven by the PBX simulator."""
