"""Lines: the numbers the shop publishes, named by an admin; the pop and the call log say
which one a customer dialled, and routing may give a line its own group."""
