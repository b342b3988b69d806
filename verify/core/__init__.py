"""The checking core: finite differences that trust only the loss, and the comparison that names
what is wrong. Every other room of ``verify`` builds on these two."""
