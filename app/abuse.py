"""Keeping a banned anonymous device out after it drops its cookie, without storing anyone's IP address.

A device ban names a cookie's token; clearing the cookie gives a fresh token. So when a banned device tries
to submit, its network is paused: for DEVICE_BAN_NETWORK_HOURS, anonymous submissions from that network are
refused, and people there can still sign in and submit from an account. What is kept is a keyed hash of the
network (the IPv4 address, or the IPv6 /64), in the rate limiter's shared store (Redis in production), and it
expires by itself; it never reaches the database, a log or any output.
"""

import hashlib
import hmac
import ipaddress

from flask import current_app

from app.extensions import client_address, limiter


def _network_key() -> str:
    address = client_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        network = str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
    secret = current_app.config["SECRET_KEY"].encode()
    return "stepfree/paused-network/" + hmac.new(secret, network.encode(), hashlib.sha256).hexdigest()


def pause_network() -> None:
    """Refuse anonymous submissions from the client's network for a while (a banned device was seen there)."""
    hours = current_app.config["DEVICE_BAN_NETWORK_HOURS"]
    if hours > 0:
        limiter.storage.incr(_network_key(), hours * 3600)


def network_paused() -> bool:
    return current_app.config["DEVICE_BAN_NETWORK_HOURS"] > 0 and limiter.storage.get(_network_key()) > 0
