"""The optimizer's ``staffsim`` sub-commands (``optimize``, ``frontier``), registered in the
``staffsim.commands`` entry-point group beside the simulator's (see :mod:`simulator.cli`)."""
