"""Collectible art: uploaded pictures re-encoded by geohunt and served from its own origin."""
