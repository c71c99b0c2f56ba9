"""Kivy user interface: draws state from the services layer and forwards touches."""
