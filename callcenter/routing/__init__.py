"""Routing inside the service: the FastAGI ``route`` handler over the pure ``routing``
package, the settings an admin edits, regular customers."""
