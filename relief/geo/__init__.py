"""Geography: coordinate systems (coords), China's county outlines (counties), map tiles (tiles).

Below the feature packages: the village form, the villages import, the map and the security
headers use it; it uses no feature package.
"""
