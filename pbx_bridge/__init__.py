"""The Asterisk side: AMI client, call tracker, FastAGI server, Originate.

Never imports callcenter.
"""
