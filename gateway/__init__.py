"""Satja's gateway: the Flask app that answers Africa's Talking and the committee."""

from gateway.app import create_app

__all__ = ["create_app"]
