"""Device layer: PC/SC (readers, cards), ID card readers, printer, speech, virtual devices.

Nothing here imports Kivy: events are plain callbacks from worker threads, and the
services layer hops them to the UI thread.
"""
