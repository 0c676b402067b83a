"""A PBX simulator for development and the demo: it speaks real AMI over TCP and asks the
service's FastAGI server for routes the way Asterisk 22 does, so ``pbx_bridge`` runs exactly
the code it runs against a real PBX. Not part of the product; it never imports ``callcenter``.
"""

from pbx_sim.flows import Plan
from pbx_sim.simulator import PbxSimulator, SimConfig
from pbx_sim.traffic import CallerPools, Pace

__all__ = ["CallerPools", "Pace", "PbxSimulator", "Plan", "SimConfig"]
