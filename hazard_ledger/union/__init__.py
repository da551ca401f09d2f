"""The union's own instruments: formal notices, campaigns and the public board."""
