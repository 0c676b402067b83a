"""Several instances on one PostgreSQL: leadership per PBX and for the jobs, and the bus
that carries events and requests between the instances."""
